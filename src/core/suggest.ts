/**
 * "Did you mean …": the names closest to what was typed, for unknown-name errors. A name containing
 * what was typed counts as closest (`xid` → `gpu-xid`); otherwise edit distance, within a third of
 * the typed length (at least 2). Only the names at the best distance, at most three: `gpu-nod-5`
 * means gpu-node-5, not also gpu-node-1. Case does not matter.
 */
export function closestNames(names: readonly string[], typed: string): string[] {
  const wanted = typed.trim().toLowerCase();
  if (wanted === '') return [];
  const scored = names
    .map((n) => {
      const lower = n.toLowerCase();
      return { n, d: lower.includes(wanted) ? 0 : editDistance(wanted, lower) };
    })
    .filter((x) => x.d <= Math.max(2, Math.floor(wanted.length / 3)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  const best = scored[0]?.d;
  return scored
    .filter((x) => x.d === best)
    .slice(0, 3)
    .map((x) => x.n);
}

/** Levenshtein distance; names are short. */
export function editDistance(a: string, b: string): number {
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
