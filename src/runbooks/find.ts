import { BotError } from '../core/errors.ts';
import type { Runbook } from './schema.ts';

/**
 * The runbook named `name` (case does not matter). An unknown name is a BotError that suggests
 * the closest names: a typo (gpu-xd), or a part of a name (xid).
 */
export function findRunbook<R extends Pick<Runbook, 'name'>>(runbooks: readonly R[], name: string): R {
  const wanted = name.trim().toLowerCase();
  const found = runbooks.find((r) => r.name === wanted);
  if (found) return found;
  const close = suggest(
    runbooks.map((r) => r.name),
    wanted,
  );
  throw new BotError(
    'bot.runbook.unknown',
    `Unknown runbook "${name}".${close.length ? ` Did you mean ${close.join(' or ')}?` : ''}`,
    { hint: 'See them all with /runbook list.' },
  );
}

function suggest(names: readonly string[], wanted: string): string[] {
  if (wanted === '') return [];
  const scored = names
    .map((n) => ({ n, d: n.includes(wanted) ? 0 : distance(wanted, n) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(wanted.length / 3)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  const best = scored[0]?.d;
  return scored
    .filter((x) => x.d === best)
    .slice(0, 3)
    .map((x) => x.n);
}

/** Levenshtein distance; names are short. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
