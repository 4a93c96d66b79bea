import { describe, expect, it } from 'vitest';
import { closestNames, editDistance } from '../../src/core/suggest.ts';

describe('closestNames', () => {
  const nodes = ['gpu-node-1', 'gpu-node-2', 'gpu-node-5', 'gpu-node-55', 'db-7'];

  it('suggests only the names at the best distance', () => {
    expect(closestNames(nodes, 'gpu-nod-5')).toEqual(['gpu-node-5']);
    expect(closestNames(nodes, 'GPU-NODE-5x')).toEqual(['gpu-node-5', 'gpu-node-55']);
  });

  it('counts a name containing what was typed as closest', () => {
    expect(closestNames(['gpu-xid', 'node-oom', 'gpu-oom'], 'xid')).toEqual(['gpu-xid']);
    expect(closestNames(['gpu-xid', 'node-oom', 'gpu-oom'], 'oom')).toEqual(['gpu-oom', 'node-oom']);
  });

  it('suggests nothing for far-off or empty input, and at most three', () => {
    expect(closestNames(nodes, 'storage-array')).toEqual([]);
    expect(closestNames(nodes, '  ')).toEqual([]);
    expect(closestNames(['a1', 'a2', 'a3', 'a4'], 'a')).toEqual(['a1', 'a2', 'a3']);
  });
});

describe('editDistance', () => {
  it('is the Levenshtein distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
