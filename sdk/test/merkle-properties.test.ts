/**
 * Property tests of the Merkle module against a naive reference written
 * straight from RFC 9162 §2.1 (recursive MTH, PATH, PROOF and the
 * verification algorithms of §2.1.3.2 / §2.1.4.2), with its own hashing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryTree, SigsumError, VerificationError, hashNode, rootFromLeafHashes, sha256, verifyConsistency, verifyInclusion } from '@sigsum-kit/sdk';
import { CompactRange } from '@sigsum-kit/sdk/internal';

// ---- reference (RFC 9162 §2.1, recursive, no shared code) ----
const node = (l: Uint8Array, r: Uint8Array) => sha256(new Uint8Array([1]), l, r);
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function mth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return d[0]!;
  const k = split(d.length);
  return node(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const k = split(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = split(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}
function proof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return m === 0 || m === d.length ? [] : subproof(m, d, true);
}
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

// RFC 9162 §2.1.3.2, as written there.
function refVerifyInclusion(leaf: Uint8Array, index: number, size: number, p: readonly Uint8Array[], root: Uint8Array): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const x of p) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = node(x, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = node(r, x);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

// RFC 9162 §2.1.4.2, plus Go's rules for old = new and old = 0.
function refVerifyConsistency(m: number, n: number, oldRoot: Uint8Array, newRoot: Uint8Array, p0: readonly Uint8Array[]): boolean {
  if (m > n) return false;
  if (m === n) return p0.length === 0 && eq(oldRoot, newRoot);
  if (m === 0) return p0.length === 0 && eq(oldRoot, sha256(new Uint8Array(0)));
  if (p0.length === 0) return false;
  let p = p0.slice();
  if ((m & (m - 1)) === 0) p = [oldRoot, ...p];
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = p[0]!;
  let sr = p[0]!;
  for (const c of p.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = node(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return eq(fr, oldRoot) && eq(sr, newRoot) && sn === 0;
}

// ---- helpers ----
function verdict(run: () => void): boolean {
  try {
    run();
    return true;
  } catch (e) {
    if (!(e instanceof SigsumError)) throw e;
    return false;
  }
}
// Sizes uniform in 1..max (fc.array would mostly give tiny trees); leaf
// hashes derived from a seed so each is distinct.
const arbLeaves = (max: number) =>
  fc.tuple(fc.integer({ min: 1, max }), fc.nat()).map(([n, seed]) =>
    Array.from({ length: n }, (_, i) => sha256(new Uint8Array(new Uint32Array([seed, i]).buffer))),
  );
const flip = (h: Uint8Array, bit: number) => {
  const c = h.slice();
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};
const RUNS = { numRuns: 40 };

describe('Merkle properties', () => {
  it('hashNode equals SHA-256 of 0x01 || left || right (reused message buffer)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (l, r) => {
        expect(hashNode(l, r)).toEqual(sha256(new Uint8Array([1]), l, r));
      }),
      { numRuns: 300 },
    );
  });

  it('roots: MTH = CompactRange = MemoryTree at every size', () => {
    fc.assert(
      fc.property(arbLeaves(200), (leaves) => {
        const cr = new CompactRange();
        const t = new MemoryTree();
        for (let i = 0; i < leaves.length; i++) {
          cr.append(leaves[i]!);
          t.append(leaves[i]!);
        }
        const want = mth(leaves);
        expect(cr.root()).toEqual(want);
        expect(rootFromLeafHashes(leaves)).toEqual(want);
        const n = leaves.length;
        for (const m of [1, Math.floor(n / 2), n - 1, n]) if (m >= 0) expect(t.root(m)).toEqual(mth(leaves.slice(0, m)));
      }),
      { numRuns: 40 },
    );
  });

  it('inclusion: generated = reference PATH, verifies; every bit flip and structural mutation is rejected', () => {
    fc.assert(
      fc.property(arbLeaves(300), fc.nat(), fc.nat(255), (leaves, r, bit) => {
        const n = leaves.length;
        const i = r % n;
        const t = MemoryTree.fromLeafHashes(leaves);
        const p = t.inclusionProof(i);
        expect(p).toEqual(path(i, leaves));
        const root = mth(leaves);
        const leaf = leaves[i]!;
        const ok = (lh: Uint8Array, idx: bigint, sz: bigint, pp: Uint8Array[], rt: Uint8Array) => verdict(() => verifyInclusion(lh, idx, sz, pp, rt));
        expect(ok(leaf, BigInt(i), BigInt(n), p, root)).toBe(true);
        // Bit flips in every path hash, the root and the leaf hash.
        for (let j = 0; j < p.length; j++) expect(ok(leaf, BigInt(i), BigInt(n), p.map((x, k) => (k === j ? flip(x, bit) : x)), root)).toBe(false);
        expect(ok(leaf, BigInt(i), BigInt(n), p, flip(root, bit))).toBe(false);
        expect(ok(flip(leaf, bit), BigInt(i), BigInt(n), p, root)).toBe(false);
        // Structural mutations of the path.
        for (let j = 0; j < p.length; j++) {
          expect(ok(leaf, BigInt(i), BigInt(n), p.filter((_, k) => k !== j), root)).toBe(false);
          expect(ok(leaf, BigInt(i), BigInt(n), [...p.slice(0, j + 1), p[j]!, ...p.slice(j + 1)], root)).toBe(false);
          if (j + 1 < p.length && !eq(p[j]!, p[j + 1]!)) {
            const s = p.slice();
            [s[j], s[j + 1]] = [s[j + 1]!, s[j]!];
            expect(ok(leaf, BigInt(i), BigInt(n), s, root)).toBe(false);
          }
        }
        expect(ok(leaf, BigInt(i), BigInt(n), [...p, root], root)).toBe(false);
        // Another index in the same tree never verifies (distinct audit shape).
        for (const j of [i - 1, i + 1]) if (j >= 0 && j !== i) expect(ok(leaf, BigInt(j), BigInt(n), p, root)).toBe(false);
        // Another size can verify (the path's last hashes are opaque); we must
        // agree with the RFC 9162 algorithm exactly.
        for (const m of [n - 1, n + 1]) {
          if (m < 1) continue;
          expect(ok(leaf, BigInt(i), BigInt(m), p, root)).toBe(refVerifyInclusion(leaf, i, m, p, root));
        }
      }),
      RUNS,
    );
  });

  it('consistency: generated = reference PROOF, verifies; mutations rejected or agree with RFC 9162', () => {
    fc.assert(
      fc.property(arbLeaves(300), fc.nat(), fc.nat(255), (leaves, r, bit) => {
        const n = leaves.length;
        const m = r % (n + 1);
        const t = MemoryTree.fromLeafHashes(leaves);
        const p = t.consistencyProof(m, n);
        expect(p).toEqual(proof(m, leaves));
        const oldRoot = mth(leaves.slice(0, m));
        const newRoot = mth(leaves);
        const ok = (a: number, b: number, o: Uint8Array, nr: Uint8Array, pp: Uint8Array[]) => verdict(() => verifyConsistency(BigInt(a), BigInt(b), o, nr, pp));
        expect(ok(m, n, oldRoot, newRoot, p)).toBe(true);
        for (let j = 0; j < p.length; j++) expect(ok(m, n, oldRoot, newRoot, p.map((x, k) => (k === j ? flip(x, bit) : x)))).toBe(false);
        // Everything is consistent with the empty tree (Go): only then may the new root change.
        expect(ok(m, n, oldRoot, flip(newRoot, bit), p)).toBe(m === 0);
        // A flipped old root is always caught: as a root difference (m = n), as
        // not the empty root (m = 0), or through the fold.
        expect(ok(m, n, flip(oldRoot, bit), newRoot, p)).toBe(false);
        for (let j = 0; j < p.length; j++) {
          expect(ok(m, n, oldRoot, newRoot, p.filter((_, k) => k !== j))).toBe(false);
          expect(ok(m, n, oldRoot, newRoot, [...p.slice(0, j + 1), p[j]!, ...p.slice(j + 1)])).toBe(false);
          if (j + 1 < p.length && !eq(p[j]!, p[j + 1]!)) {
            const s = p.slice();
            [s[j], s[j + 1]] = [s[j + 1]!, s[j]!];
            expect(ok(m, n, oldRoot, newRoot, s)).toBe(false);
          }
        }
        expect(ok(m, n, oldRoot, newRoot, [...p, newRoot])).toBe(false);
        if (m < n) expect(ok(n, m, newRoot, oldRoot, p)).toBe(false);
        // Size ±1: same verdict as the RFC 9162 algorithm.
        for (const [a, b] of [[m - 1, n], [m + 1, n], [m, n - 1], [m, n + 1]] as const) {
          if (a < 0 || b < 1) continue;
          expect(ok(a, b, oldRoot, newRoot, p)).toBe(refVerifyConsistency(a, b, oldRoot, newRoot, p));
        }
      }),
      RUNS,
    );
  });

  it('agrees with RFC 9162 verification on random garbage proofs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 70 }), fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 8 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b, p, h) => {
        expect(verdict(() => verifyInclusion(h, BigInt(a), BigInt(b), p, h))).toBe(refVerifyInclusion(h, a, b, p, h));
        expect(verdict(() => verifyConsistency(BigInt(a), BigInt(b), h, h, p))).toBe(refVerifyConsistency(a, b, h, h, p));
      }),
      { numRuns: 300 },
    );
  });

  it('restores a CompactRange from any size and continues to the same roots', () => {
    fc.assert(
      fc.property(arbLeaves(200), fc.nat(), (leaves, r) => {
        const t = MemoryTree.fromLeafHashes(leaves);
        const k = r % (leaves.length + 1);
        const cr = CompactRange.restore(k, t);
        expect(cr.root()).toEqual(mth(leaves.slice(0, k)));
        const nodes = [];
        for (let i = k; i < leaves.length; i++) nodes.push(...cr.append(leaves[i]!));
        expect(cr.root()).toEqual(mth(leaves));
        // Every node reported is the true perfect subtree hash.
        for (const x of nodes) expect(x.hash).toEqual(t.getNode(x.level, x.index));
      }),
      { numRuns: 40 },
    );
  });

  it('only throws SDK errors', () => {
    expect(() => verifyInclusion(new Uint8Array(32), 0n, 2n, [], new Uint8Array(32))).toThrow(VerificationError);
  });
});
