import { BotError } from '../core/errors.ts';
import { closestNames } from '../core/suggest.ts';
import type { Runbook } from './schema.ts';

/**
 * The runbook named `name` (case does not matter). An unknown name is a BotError that suggests
 * the closest names: a typo (gpu-xd), or a part of a name (xid).
 */
export function findRunbook<R extends Pick<Runbook, 'name'>>(runbooks: readonly R[], name: string): R {
  const wanted = name.trim().toLowerCase();
  const found = runbooks.find((r) => r.name === wanted);
  if (found) return found;
  const close = closestNames(
    runbooks.map((r) => r.name),
    wanted,
  );
  throw new BotError(
    'bot.runbook.unknown',
    `Unknown runbook "${name}".${close.length ? ` Did you mean ${close.join(' or ')}?` : ''}`,
    { hint: 'See them all with /runbook list.' },
  );
}
