import { z } from 'zod';
import { BotError, closestNames } from '../core/index.ts';
import type { CommandDefinition } from './define.ts';

/** Commands that act on one incident also take `--incident N`, for use outside its channel. */
const INCIDENT_NUMBER = 'must be an incident number such as 12';
export const incidentOption = z
  .preprocess(
    (v) => (typeof v === 'string' && /^\s*(?:inc-)?\d+\s*$/i.test(v) ? Number(v.replace(/\D/g, '')) : v),
    z.number({ error: INCIDENT_NUMBER }).int(INCIDENT_NUMBER).positive(INCIDENT_NUMBER),
  )
  .optional()
  .describe('Incident number, when not run in the incident channel');

/** The definition as the parsers and registrations see it, with the implicit options added. */
export function effectiveDefinition(def: CommandDefinition): CommandDefinition {
  if (def.incident !== 'required') return def;
  return { ...def, options: def.options.extend({ incident: incidentOption }) } as CommandDefinition;
}

export class CommandRegistry {
  private readonly byKey = new Map<string, CommandDefinition>();
  constructor(readonly all: readonly CommandDefinition[]) {
    for (const def of all) {
      const key = `${def.group} ${def.name}`;
      if (this.byKey.has(key)) throw new Error(`Command /${key} is defined twice`);
      this.byKey.set(key, effectiveDefinition(def));
    }
  }

  groups(): string[] {
    return [...new Set(this.all.map((d) => d.group))];
  }

  /** What `/<group> <sub>` means; `help` under any known group is the one help command. */
  resolve(group: string, sub: string): CommandDefinition {
    if (sub.toLowerCase() === 'help' && this.groups().includes(group)) return this.find('incident', 'help');
    return this.find(group, sub);
  }

  find(group: string, name: string): CommandDefinition {
    const def = this.byKey.get(`${group} ${name.toLowerCase()}`);
    if (def) return def;
    if (!this.groups().includes(group)) {
      const near = closestNames(this.groups(), group);
      throw new BotError(
        'bot.command.unknown',
        `There is no /${group} command.${near.length ? ` Did you mean ${near.map((g) => `/${g}`).join(' or ')}?` : ''}`,
        {
          hint: `Commands: ${this.groups()
            .map((g) => `/${g}`)
            .join(', ')}.`,
        },
      );
    }
    const names = this.all.filter((d) => d.group === group).map((d) => d.name);
    const near = closestNames(names, name);
    throw new BotError(
      'bot.command.unknown',
      `Unknown command "/${group} ${name}".${near.length ? ` Did you mean ${near.map((n) => `/${group} ${n}`).join(' or ')}?` : ''}`,
      { hint: `Try one of: ${names.join(', ')}, or /${group} help.` },
    );
  }
}
