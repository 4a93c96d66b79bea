/**
 * Kubernetes resource quantities (`8`, `250m`, `1981036Ki`, `80G`, `1e3`) as plain numbers. Never
 * throws: a quantity the API server accepted but this does not know reads as null, not a crash.
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(quantity: string | undefined): number | null {
  if (quantity === undefined) return null;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/.exec(
    quantity.trim(),
  );
  if (!m) return null;
  const factor = SUFFIX[m[2] ?? ''];
  return factor === undefined ? null : Number(m[1]) * factor;
}

/** A byte quantity in MiB, whole. */
export function toMiB(quantity: string | undefined): number | null {
  const bytes = parseQuantity(quantity);
  return bytes === null ? null : Math.floor(bytes / 2 ** 20);
}

/** `412Gi`, `1.9Ti`: the way people read node memory (binary units, two or three digits). */
export function formatMiB(mib: number): string {
  if (mib < 1024) return `${Math.round(mib)}Mi`;
  const gib = mib / 1024;
  if (gib < 1024) return gib < 10 ? `${gib.toFixed(1)}Gi` : `${Math.round(gib)}Gi`;
  const tib = gib / 1024;
  return tib < 10 ? `${tib.toFixed(1)}Ti` : `${Math.round(tib)}Ti`;
}
