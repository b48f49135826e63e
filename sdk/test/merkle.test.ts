import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MAX_CONSISTENCY_PATH,
  MAX_INCLUSION_PATH,
  MemoryTree,
  ParseError,
  OutOfRangeError,
  VerificationError,
  consistencyPathLength,
  emptyRoot,
  hashLeaf,
  hashNode,
  inclusionPathLength,
  rootFromInclusionProof,
  rootFromLeafHashes,
  sha256,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '@sigsum-kit/sdk';
import {
  CompactRange,
  borderPositions,
  consistencyProof,
  inclusionProof,
  treeRoot,
} from '@sigsum-kit/sdk/internal';

/** Run `f` and return what it threw (fails the test if nothing was thrown). */
function thrown(f: () => unknown): { name: string; code: string; where: string | undefined; message: string } {
  try {
    f();
  } catch (e) {
    const err = e as { name: string; code: string; where: string | undefined; message: string };
    return { name: err.name, code: err.code, where: err.where, message: err.message };
  }
  throw new Error('expected an error');
}

const leaves = Array.from({ length: 20 }, (_, i) => hashLeaf(new Uint8Array([i, i + 1])));
const tree = MemoryTree.fromLeafHashes(leaves);
const h = (b: number) => new Uint8Array(32).fill(b);

// A tree of 2^63-ish identical leaves: every perfect subtree of level l has the
// same hash, so any root and proof is computable in O(log² n) with bigints.
const uniformLeaf = hashLeaf(new Uint8Array(0));
const perfect: Uint8Array[] = [uniformLeaf];
for (let l = 1; l < 64; l++) perfect.push(sha256(new Uint8Array([1]), perfect[l - 1]!, perfect[l - 1]!));
function split(n: bigint): bigint {
  let k = 1n;
  while (k * 2n < n) k *= 2n;
  return k;
}
function uniformRoot(n: bigint): Uint8Array {
  if ((n & (n - 1n)) === 0n) return perfect[n.toString(2).length - 1]!;
  const k = split(n);
  return sha256(new Uint8Array([1]), uniformRoot(k), uniformRoot(n - k));
}
// RFC 9162 PATH and PROOF, recursively, over the uniform tree.
function uniformPath(m: bigint, n: bigint): Uint8Array[] {
  if (n === 1n) return [];
  const k = split(n);
  return m < k ? [...uniformPath(m, k), uniformRoot(n - k)] : [...uniformPath(m - k, n - k), uniformRoot(k)];
}
function uniformSubproof(m: bigint, n: bigint, complete: boolean): Uint8Array[] {
  if (m === n) return complete ? [] : [uniformRoot(m)];
  const k = split(n);
  return m <= k ? [...uniformSubproof(m, k, complete), uniformRoot(n - k)] : [...uniformSubproof(m - k, n - k, false), uniformRoot(k)];
}

describe('hashing', () => {
  it('uses the RFC 6962 prefixes and the empty root', () => {
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(emptyRoot()).toEqual(EMPTY_ROOT);
    expect(emptyRoot()).not.toBe(EMPTY_ROOT);
    expect(hashLeaf(new Uint8Array([7]))).toEqual(sha256(new Uint8Array([0, 7])));
    expect(hashNode(h(1), h(2))).toEqual(sha256(new Uint8Array([1]), h(1), h(2)));
    expect(rootFromLeafHashes([])).toEqual(EMPTY_ROOT);
    const one = rootFromLeafHashes([h(3)]);
    expect(one).toEqual(h(3));
    expect(one).not.toBe(h(3));
  });

  it('rejects hashes of the wrong size', () => {
    expect(thrown(() => hashNode(h(1), new Uint8Array(31)))).toEqual({
      name: 'ParseError', code: 'merkle.hash-size', where: 'right', message: 'right: hash has 31 bytes, expected 32',
    });
    expect(thrown(() => rootFromLeafHashes([h(1), new Uint8Array(33)]))).toMatchObject({ code: 'merkle.hash-size', where: 'leaf 1' });
    expect(thrown(() => hashNode('x' as unknown as Uint8Array, h(1)))).toMatchObject({ name: 'ParseError', code: 'merkle.hash-type', where: 'left' });
  });
});

describe('verifyInclusion errors', () => {
  const path = tree.inclusionProof(5, 20);
  const root = tree.root(20);
  it('accepts the honest proof', () => {
    expect(() => verifyInclusion(leaves[5]!, 5n, 20n, path, root)).not.toThrow();
    expect(rootFromInclusionProof(leaves[5]!, 5n, 20n, path)).toEqual(root);
  });

  it('rejects index >= size, including the empty tree', () => {
    expect(thrown(() => verifyInclusion(leaves[5]!, 20n, 20n, path, root))).toEqual({
      name: 'VerificationError', code: 'inclusion.index-range', where: 'index', message: 'index: index 20 is not below tree size 20',
    });
    expect(thrown(() => verifyInclusion(leaves[0]!, 0n, 0n, [], EMPTY_ROOT))).toMatchObject({ code: 'inclusion.index-range' });
  });

  it('rejects integers outside 0..2^63-1 with OutOfRangeError', () => {
    expect(thrown(() => verifyInclusion(leaves[5]!, -1n, 20n, path, root))).toEqual({
      name: 'OutOfRangeError', code: 'merkle.uint63', where: 'index', message: 'index: -1 is outside 0..2^63-1',
    });
    expect(thrown(() => verifyInclusion(leaves[5]!, 5n, 1n << 63n, path, root))).toMatchObject({ name: 'OutOfRangeError', code: 'merkle.uint63', where: 'size' });
    expect(() => verifyInclusion(leaves[5]!, 5 as unknown as bigint, 20n, path, root)).toThrow(TypeError);
  });

  it('rejects a path of the wrong length before hashing', () => {
    expect(thrown(() => verifyInclusion(leaves[5]!, 5n, 20n, path.slice(1), root))).toEqual({
      name: 'VerificationError', code: 'inclusion.path-length', where: 'path', message: 'path: path has 4 hashes, expected 5 for index 5 in size 20',
    });
    expect(thrown(() => verifyInclusion(leaves[5]!, 5n, 20n, [...path, h(0)], root))).toMatchObject({ code: 'inclusion.path-length' });
    const long = Array.from({ length: MAX_INCLUSION_PATH + 1 }, () => h(0));
    expect(thrown(() => verifyInclusion(leaves[5]!, 5n, 20n, long, root))).toEqual({
      name: 'VerificationError', code: 'inclusion.path-length', where: 'path', message: 'path: path has 64 hashes, more than the maximum 63',
    });
  });

  it('rejects hashes of the wrong size and names them', () => {
    expect(thrown(() => verifyInclusion(new Uint8Array(31), 5n, 20n, path, root))).toMatchObject({ name: 'ParseError', code: 'merkle.hash-size', where: 'leafHash' });
    expect(thrown(() => verifyInclusion(leaves[5]!, 5n, 20n, path, new Uint8Array(0)))).toMatchObject({ name: 'ParseError', code: 'merkle.hash-size', where: 'root' });
    const bad = path.slice();
    bad[2] = new Uint8Array(33);
    expect(thrown(() => verifyInclusion(leaves[5]!, 5n, 20n, bad, root))).toEqual({
      name: 'ParseError', code: 'merkle.hash-size', where: 'path[2]', message: 'path[2]: hash has 33 bytes, expected 32',
    });
  });

  it('rejects a wrong root', () => {
    expect(thrown(() => verifyInclusion(leaves[5]!, 5n, 20n, path, h(9)))).toEqual({
      name: 'VerificationError', code: 'inclusion.root-mismatch', where: 'root', message: 'root: path does not lead to the root hash',
    });
  });

  it('treats size 1 with an empty path as leaf == root', () => {
    expect(() => verifyInclusion(h(4), 0n, 1n, [], h(4))).not.toThrow();
    expect(thrown(() => verifyInclusion(h(4), 0n, 1n, [], h(5)))).toMatchObject({ code: 'inclusion.root-mismatch' });
    expect(thrown(() => verifyInclusion(h(4), 0n, 1n, [h(4)], h(4)))).toMatchObject({ code: 'inclusion.path-length' });
  });

  it('handles the largest wire sizes (63-hash paths)', () => {
    const size = (1n << 63n) - 1n;
    for (const index of [0n, 1n, size - 2n, size - 1n, 1n << 62n, (1n << 32n) + 5n]) {
      const p = uniformPath(index, size);
      expect(p.length).toBe(inclusionPathLength(index, size));
      expect(() => verifyInclusion(uniformLeaf, index, size, p, uniformRoot(size))).not.toThrow();
      const flipped = p.map((x) => x.slice());
      flipped[p.length - 1]![0]! ^= 1;
      expect(thrown(() => verifyInclusion(uniformLeaf, index, size, flipped, uniformRoot(size)))).toMatchObject({ code: 'inclusion.root-mismatch' });
    }
    expect(inclusionPathLength(0n, size)).toBe(63);
  });
});

describe('verifyConsistency errors', () => {
  const r = (n: number) => tree.root(n);
  it('accepts honest proofs including the trivial ones', () => {
    expect(() => verifyConsistency(7n, 20n, r(7), r(20), tree.consistencyProof(7, 20))).not.toThrow();
    expect(() => verifyConsistency(8n, 20n, r(8), r(20), tree.consistencyProof(8, 20))).not.toThrow();
    expect(() => verifyConsistency(20n, 20n, r(20), r(20), [])).not.toThrow();
    expect(() => verifyConsistency(0n, 20n, EMPTY_ROOT, r(20), [])).not.toThrow();
    expect(() => verifyConsistency(0n, 0n, EMPTY_ROOT, EMPTY_ROOT, [])).not.toThrow();
  });

  it('rejects old > new up front', () => {
    expect(thrown(() => verifyConsistency(20n, 7n, r(20), r(7), tree.consistencyProof(7, 20)))).toEqual({
      name: 'VerificationError', code: 'consistency.size-order', where: 'oldSize', message: 'oldSize: old size 20 is larger than new size 7',
    });
  });

  it('rejects out-of-range sizes', () => {
    expect(thrown(() => verifyConsistency(1n, 1n << 63n, r(1), r(20), []))).toMatchObject({ name: 'OutOfRangeError', code: 'merkle.uint63', where: 'newSize' });
    expect(thrown(() => verifyConsistency(-3n, 5n, r(1), r(20), []))).toMatchObject({ name: 'OutOfRangeError', code: 'merkle.uint63', where: 'oldSize' });
  });

  it('needs an empty path and equal roots for equal sizes', () => {
    expect(thrown(() => verifyConsistency(5n, 5n, r(5), r(5), [r(5)]))).toEqual({
      name: 'VerificationError', code: 'consistency.path-length', where: 'path', message: 'path: path has 1 hashes, expected 0 for trees of equal size',
    });
    expect(thrown(() => verifyConsistency(5n, 5n, r(5), r(6), []))).toEqual({
      name: 'VerificationError', code: 'consistency.roots-differ', where: 'newRoot', message: 'newRoot: trees of equal size have different roots',
    });
  });

  it('needs an empty path and the empty root for old size 0', () => {
    expect(thrown(() => verifyConsistency(0n, 5n, EMPTY_ROOT, r(5), [r(5)]))).toEqual({
      name: 'VerificationError', code: 'consistency.path-length', where: 'path', message: 'path: path has 1 hashes, expected 0 for an empty old tree',
    });
    expect(thrown(() => verifyConsistency(0n, 5n, r(1), r(5), []))).toEqual({
      name: 'VerificationError', code: 'consistency.empty-root', where: 'oldRoot', message: 'oldRoot: old root is not the root of the empty tree',
    });
  });

  it('rejects wrong path lengths, including the hard cap', () => {
    const p = tree.consistencyProof(7, 20);
    expect(thrown(() => verifyConsistency(7n, 20n, r(7), r(20), p.slice(1)))).toEqual({
      name: 'VerificationError', code: 'consistency.path-length', where: 'path', message: `path: path has ${p.length - 1} hashes, expected ${p.length} for sizes 7 and 20`,
    });
    const long = Array.from({ length: MAX_CONSISTENCY_PATH + 1 }, () => h(0));
    expect(thrown(() => verifyConsistency(7n, 20n, r(7), r(20), long))).toMatchObject({ code: 'consistency.path-length', message: 'path: path has 65 hashes, more than the maximum 64' });
  });

  it('names the root that does not match', () => {
    const p = tree.consistencyProof(7, 20);
    expect(thrown(() => verifyConsistency(7n, 20n, r(6), r(20), p))).toEqual({
      name: 'VerificationError', code: 'consistency.old-root-mismatch', where: 'oldRoot', message: 'oldRoot: path does not lead to the old root hash',
    });
    expect(thrown(() => verifyConsistency(7n, 20n, r(7), r(19), p))).toEqual({
      name: 'VerificationError', code: 'consistency.new-root-mismatch', where: 'newRoot', message: 'newRoot: path does not lead to the new root hash',
    });
    // Old size a power of two: the old root itself starts the fold (as in Go),
    // so a wrong old root shows up as a new-root mismatch.
    const q = tree.consistencyProof(8, 20);
    expect(thrown(() => verifyConsistency(8n, 20n, r(7), r(20), q))).toMatchObject({ code: 'consistency.new-root-mismatch' });
  });

  it('rejects hashes of the wrong size', () => {
    const p = tree.consistencyProof(7, 20);
    expect(thrown(() => verifyConsistency(7n, 20n, new Uint8Array(5), r(20), p))).toMatchObject({ name: 'ParseError', code: 'merkle.hash-size', where: 'oldRoot' });
    expect(thrown(() => verifyConsistency(7n, 20n, r(7), r(20), [p[0]!, new Uint8Array(1), ...p.slice(2)]))).toMatchObject({ code: 'merkle.hash-size', where: 'path[1]' });
  });

  it('accepts the longest honest proofs (64 hashes) at the largest sizes', () => {
    const big = (1n << 63n) - 1n;
    for (const [m, n] of [[3n, big], [1n, big], [big - 1n, big], [(1n << 62n) + 1n, big], [5n, 1n << 62n]] as const) {
      const p = uniformSubproof(m, n, true);
      expect(p.length).toBe(consistencyPathLength(m, n));
      expect(() => verifyConsistency(m, n, uniformRoot(m), uniformRoot(n), p)).not.toThrow();
    }
    expect(consistencyPathLength(3n, big)).toBe(64);
  });
});

describe('proof generation', () => {
  it('validates its arguments', () => {
    expect(thrown(() => inclusionProof(3, 3, tree))).toEqual({
      name: 'OutOfRangeError', code: 'merkle.proof-range', where: 'index', message: 'index: index 3 is not below tree size 3',
    });
    expect(thrown(() => inclusionProof(-1, 3, tree))).toMatchObject({ code: 'merkle.safe-size', where: 'index' });
    expect(thrown(() => inclusionProof(0, 2 ** 53, tree))).toMatchObject({ code: 'merkle.safe-size', where: 'size' });
    expect(thrown(() => consistencyProof(4, 3, tree))).toMatchObject({ code: 'merkle.proof-range', where: 'oldSize' });
    expect(thrown(() => treeRoot(1.5, tree))).toMatchObject({ code: 'merkle.safe-size' });
    expect(consistencyProof(0, 5, tree)).toEqual([]);
    expect(consistencyProof(5, 5, tree)).toEqual([]);
    expect(treeRoot(0, tree)).toEqual(EMPTY_ROOT);
  });

  it('reads O(log n) perfect nodes, never an incomplete one', () => {
    const reads: string[] = [];
    const counting = {
      getNode(level: number, index: number): Uint8Array {
        expect((index + 1) * 2 ** level).toBeLessThanOrEqual(tree.size);
        reads.push(`${level}/${index}`);
        return tree.getNode(level, index);
      },
    };
    for (let n = 1; n <= 20; n++) {
      for (let i = 0; i < n; i++) {
        reads.length = 0;
        expect(inclusionProof(i, n, counting)).toEqual(tree.inclusionProof(i, n));
        expect(reads.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) + 1);
      }
      for (let m = 0; m <= n; m++) {
        reads.length = 0;
        consistencyProof(m, n, counting);
        expect(reads.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) + 2);
      }
    }
  });

  it('works at sizes up to 2^53-1 without 32-bit overflow', () => {
    const uniform = {
      getNode(level: number, index: number): Uint8Array {
        expect(Number.isSafeInteger(index)).toBe(true);
        expect((index + 1) * 2 ** level).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
        return perfect[level]!;
      },
    };
    const n = Number.MAX_SAFE_INTEGER;
    for (const size of [n, 2 ** 52, 2 ** 32 + 3, 2 ** 31 + 1]) {
      expect(treeRoot(size, uniform)).toEqual(uniformRoot(BigInt(size)));
      expect(CompactRange.restore(size, uniform).root()).toEqual(uniformRoot(BigInt(size)));
      for (const i of [0, 1, size - 1, size - 2, 2 ** 31, 2 ** 32 - 1, Math.floor(size / 3)]) {
        if (i >= size) continue;
        const p = inclusionProof(i, size, uniform);
        expect(p).toEqual(uniformPath(BigInt(i), BigInt(size)));
        expect(() => verifyInclusion(uniformLeaf, BigInt(i), BigInt(size), p, uniformRoot(BigInt(size)))).not.toThrow();
      }
      for (const m of [1, 3, 2 ** 31 + 7, size - 1, 2 ** 32]) {
        if (m > size) continue;
        const p = consistencyProof(m, size, uniform);
        expect(p).toEqual(m === size ? [] : uniformSubproof(BigInt(m), BigInt(size), true));
        expect(() => verifyConsistency(BigInt(m), BigInt(size), uniformRoot(BigInt(m)), uniformRoot(BigInt(size)), p)).not.toThrow();
      }
    }
  });

  it('MemoryTree refuses nodes and sizes it does not have', () => {
    expect(thrown(() => tree.getNode(2, 5))).toEqual({
      name: 'OutOfRangeError', code: 'merkle.node-range', where: 'node', message: 'node: no complete subtree at level 2, index 5 in a tree of 20 leaves',
    });
    expect(thrown(() => tree.root(21))).toMatchObject({ code: 'merkle.proof-range', where: 'size' });
    expect(thrown(() => tree.inclusionProof(0, 21))).toMatchObject({ code: 'merkle.proof-range' });
    expect(tree.leafHash(3)).toEqual(leaves[3]);
  });
});

describe('CompactRange', () => {
  it('reports each completed perfect node once, leaf first', () => {
    const cr = new CompactRange();
    expect(cr.root()).toEqual(EMPTY_ROOT);
    expect(cr.append(leaves[0]!).map((n) => [n.level, n.index])).toEqual([[0, 0]]);
    expect(cr.append(leaves[1]!).map((n) => [n.level, n.index])).toEqual([[0, 1], [1, 0]]);
    expect(cr.append(leaves[2]!).map((n) => [n.level, n.index])).toEqual([[0, 2]]);
    const done = cr.append(leaves[3]!);
    expect(done.map((n) => [n.level, n.index])).toEqual([[0, 3], [1, 1], [2, 0]]);
    expect(done[2]!.hash).toEqual(rootFromLeafHashes(leaves.slice(0, 4)));
    expect(cr.size).toBe(4);
  });

  it('restores from border nodes and continues identically', () => {
    expect(borderPositions(13)).toEqual([{ level: 3, index: 0 }, { level: 2, index: 2 }, { level: 0, index: 12 }]);
    const cr = CompactRange.restore(13, tree);
    expect(cr.size).toBe(13);
    expect(cr.border().map((n) => n.hash)).toEqual([tree.getNode(3, 0), tree.getNode(2, 2), tree.getNode(0, 12)]);
    expect(cr.root()).toEqual(tree.root(13));
    for (let i = 13; i < 20; i++) cr.append(leaves[i]!);
    expect(cr.root()).toEqual(tree.root(20));
    expect(CompactRange.restore(0, tree).root()).toEqual(EMPTY_ROOT);
  });

  it('round-trips through fromBorder and clones independently', () => {
    const cr = CompactRange.restore(13, tree);
    const again = CompactRange.fromBorder(13, cr.border().map((n) => n.hash));
    expect(again.root()).toEqual(tree.root(13));
    const copy = again.clone();
    again.append(leaves[13]!);
    expect(copy.size).toBe(13);
    expect(copy.root()).toEqual(tree.root(13));
    expect(again.root()).toEqual(tree.root(14));
    copy.append(leaves[13]!);
    expect(copy.root()).toEqual(again.root());
    expect(CompactRange.fromBorder(0, []).root()).toEqual(EMPTY_ROOT);
    expect(thrown(() => CompactRange.fromBorder(13, [h(1), h(2)]))).toEqual({
      name: 'ParseError', code: 'merkle.border-length', where: 'border', message: 'border: 2 border hashes given, size 13 has 3',
    });
  });

  it('validates input', () => {
    expect(thrown(() => new CompactRange().append(new Uint8Array(3)))).toMatchObject({ name: 'ParseError', code: 'merkle.hash-size', where: 'leafHash' });
    expect(thrown(() => CompactRange.restore(-1, tree))).toMatchObject({ code: 'merkle.safe-size' });
    expect(thrown(() => CompactRange.restore(1, { getNode: () => new Uint8Array(2) }))).toMatchObject({ code: 'merkle.hash-size', where: 'node 0/0' });
  });

  it('does not share its buffers with callers', () => {
    const cr = new CompactRange();
    const leaf = h(7);
    const [node] = cr.append(leaf);
    leaf[0] = 99;
    node!.hash[1] = 99;
    expect(cr.root()).toEqual(h(7));
  });
});

describe('error classes', () => {
  it('are the SDK error classes', () => {
    expect(() => verifyInclusion(h(1), 1n, 1n, [], h(1))).toThrow(VerificationError);
    expect(() => hashNode(h(1), new Uint8Array(1))).toThrow(ParseError);
    expect(() => verifyInclusion(h(1), -1n, 1n, [], h(1))).toThrow(OutOfRangeError);
  });
});
