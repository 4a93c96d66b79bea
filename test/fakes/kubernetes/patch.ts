import type { Json } from './builders.ts';

/**
 * The PATCH bodies the API server takes, by Content-Type. Strategic merge patch is applied as a
 * JSON merge patch: the two differ only for lists with merge keys, which the adapter never patches.
 */
export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export class PatchError extends Error {
  constructor(
    readonly status: 400 | 415 | 422,
    message: string,
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(422, `invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** RFC 6902 add / replace / remove / test, enough for what clients send to nodes and workloads. */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) {
    // The API server's own words for a merge-style body sent as JSON Patch.
    throw new PatchError(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  const doc: Json = structuredClone(target);
  for (const op of ops as Json[]) {
    const parts = pointer(String(op.path ?? ''));
    const last = parts.pop();
    let parent: any = doc;
    for (const p of parts) {
      if (parent?.[p] === undefined) {
        throw new PatchError(422, `doc is missing path: "${op.path}": missing value`);
      }
      parent = parent[p];
    }
    if (last === undefined) throw new PatchError(422, 'cannot patch the whole document');
    if (op.op === 'add' || op.op === 'replace') {
      if (op.op === 'replace' && parent[last] === undefined) {
        throw new PatchError(422, `replace operation does not apply: doc is missing key: ${op.path}`);
      }
      if (Array.isArray(parent) && last === '-') parent.push(op.value);
      else parent[last] = op.value;
    } else if (op.op === 'remove') {
      if (parent[last] === undefined)
        throw new PatchError(422, `remove operation does not apply: ${op.path}`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) {
        throw new PatchError(422, `testing value ${op.path} failed`);
      }
    } else {
      throw new PatchError(422, `Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

export function applyPatch(target: Json, contentType: string, body: unknown): Json {
  const type = contentType.split(';')[0]?.trim() ?? '';
  if (type === 'application/json-patch+json') return jsonPatch(target, body);
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
    if (!isObject(body)) throw new PatchError(400, 'the patch body must be a JSON object');
    return mergePatch(target, body) as Json;
  }
  throw new PatchError(
    415,
    `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
  );
}
