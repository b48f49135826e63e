/**
 * Inclusion and consistency proof verification (RFC 9162 §2.1.3.2 and
 * §2.1.4.2) with sigsum-go `pkg/merkle` verdicts. Sizes and indices are wire
 * integers (`bigint`, 0 ≤ v < 2^63); paths are leaf-to-root.
 */
import { VerificationError } from '../errors.js';
import { MAX_INCLUSION_PATH as MAX_PATH, MAX_TREE_SIZE as MAX_SIZE, bitLength, checkHash, checkInclusion, checkUint63, equal32, inclusionLength, isEmptyRoot, nodeHash } from './internal.js';

/** Largest tree size or index accepted: 2^63 − 1 (Go's wire limit). */
export const MAX_TREE_SIZE = MAX_SIZE;
/** Longest inclusion path for any tree size < 2^63. */
export const MAX_INCLUSION_PATH = MAX_PATH;
/**
 * Longest consistency path for sizes < 2^63. It is one more than the
 * inclusion bound: e.g. old = 3, new = 2^63 − 1 needs 64 hashes, and Go
 * accepts that proof, so a 63 cap would reject honest proofs.
 */
export const MAX_CONSISTENCY_PATH = 64;

/**
 * Number of hashes in the inclusion path of leaf `index` in a tree of `size`
 * leaves (Go's `pathLength`). Requires `index < size`.
 */
export function inclusionPathLength(index: bigint, size: bigint): number {
  return inclusionLength(index, size);
}

/** Trailing zero bits of a positive bigint. */
function trailingZeros(v: bigint): number {
  let n = 0;
  while ((v & 1n) === 0n) {
    v >>= 1n;
    n++;
  }
  return n;
}

/**
 * Number of hashes in the consistency path from `oldSize` to `newSize`
 * (0 when the sizes are equal or `oldSize` is 0). Requires `oldSize ≤ newSize`.
 */
export function consistencyPathLength(oldSize: bigint, newSize: bigint): number {
  if (oldSize === newSize || oldSize === 0n) return 0;
  const t = BigInt(trailingZeros(oldSize));
  const fn = (oldSize - 1n) >> t;
  const sn = (newSize - 1n) >> t;
  return inclusionPathLength(fn, sn + 1n) + (fn > 0n ? 1 : 0);
}

/**
 * Fold `path` (from position `from`) up from node `fn`, where `sn` is the last
 * node on the same level, both starting at hash `start`. Returns the new root
 * (every sibling applied) and, if `withOld`, the old root (left siblings only,
 * as in a consistency proof). The path length must already be checked. The
 * loop reads fn's bits from two 32-bit halves, so it does no bigint work.
 */
function fold(fn: bigint, sn: bigint, start: Uint8Array, path: readonly Uint8Array[], from: number, withOld: boolean): [Uint8Array, Uint8Array] {
  // Levels below k: fn and sn differ, so fn < sn and every level has a sibling
  // (left if fn is odd, else right). From k up fn == sn: only odd fn has one.
  const k = bitLength(fn ^ sn);
  const levels = bitLength(sn);
  const lo = Number(fn & 0xffffffffn);
  const hi = Number(fn >> 32n);
  let r = start;
  let o = start;
  let p = from;
  for (let i = 0; i < levels; i++) {
    const odd = (i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1) === 1;
    if (odd) {
      const s = path[p++]!;
      r = nodeHash(s, r);
      if (withOld) o = nodeHash(s, o);
    } else if (i < k) {
      r = nodeHash(r, path[p++]!);
    }
  }
  return [r, o];
}

/**
 * Compute the root implied by an inclusion proof, after all structural checks.
 * @throws OutOfRangeError (`merkle.uint63`) for index/size outside 0..2^63−1,
 *   ParseError (`merkle.hash-size`) for a hash that is not 32 bytes,
 *   VerificationError `inclusion.index-range` (index ≥ size) or
 *   `inclusion.path-length` (wrong number of hashes for index and size).
 */
export function rootFromInclusionProof(leafHash: Uint8Array, index: bigint, size: bigint, path: readonly Uint8Array[]): Uint8Array {
  checkInclusion(leafHash, index, size, path);
  const [r] = fold(index, size - 1n, leafHash, path, 0, false);
  return r === leafHash ? r.slice() : r;
}

/**
 * Verify that the leaf with hash `leafHash` is at `index` in the tree of
 * `size` leaves with root `root` (sigsum-go `merkle.VerifyInclusion`). With
 * index 0 and size 1 the path is empty and the leaf hash must equal the root.
 * @throws as {@link rootFromInclusionProof}, plus ParseError for a root that is
 *   not 32 bytes and VerificationError `inclusion.root-mismatch`.
 */
export function verifyInclusion(leafHash: Uint8Array, index: bigint, size: bigint, path: readonly Uint8Array[], root: Uint8Array): void {
  checkHash(root, 'root');
  const got = rootFromInclusionProof(leafHash, index, size, path);
  if (!equal32(got, root)) throw new VerificationError('inclusion.root-mismatch', 'path does not lead to the root hash', 'root');
}

/**
 * Verify that the tree of `oldSize` leaves with root `oldRoot` is a prefix of
 * the tree of `newSize` leaves with root `newRoot` (sigsum-go
 * `merkle.VerifyConsistency`, RFC 9162 §2.1.4.2). Equal sizes need an empty
 * path and equal roots; old size 0 needs an empty path and `oldRoot` equal to
 * the empty tree's root.
 * @throws OutOfRangeError (`merkle.uint63`), ParseError (`merkle.hash-size`), or
 *   VerificationError with code `consistency.size-order` (old > new; Go panics
 *   on some of these), `consistency.path-length`, `consistency.roots-differ`
 *   (equal sizes), `consistency.empty-root` (old size 0, old root not the
 *   empty tree's), `consistency.old-root-mismatch`, `consistency.new-root-mismatch`.
 */
export function verifyConsistency(oldSize: bigint, newSize: bigint, oldRoot: Uint8Array, newRoot: Uint8Array, path: readonly Uint8Array[]): void {
  checkUint63(oldSize, 'oldSize');
  checkUint63(newSize, 'newSize');
  if (oldSize > newSize) throw new VerificationError('consistency.size-order', `old size ${oldSize} is larger than new size ${newSize}`, 'oldSize');
  checkHash(oldRoot, 'oldRoot');
  checkHash(newRoot, 'newRoot');
  if (oldSize === newSize) {
    if (path.length > 0) throw new VerificationError('consistency.path-length', `path has ${path.length} hashes, expected 0 for trees of equal size`, 'path');
    if (!equal32(oldRoot, newRoot)) throw new VerificationError('consistency.roots-differ', 'trees of equal size have different roots', 'newRoot');
    return;
  }
  if (oldSize === 0n) {
    if (path.length > 0) throw new VerificationError('consistency.path-length', `path has ${path.length} hashes, expected 0 for an empty old tree`, 'path');
    if (!isEmptyRoot(oldRoot)) throw new VerificationError('consistency.empty-root', 'old root is not the root of the empty tree', 'oldRoot');
    return;
  }
  if (path.length > MAX_CONSISTENCY_PATH) {
    throw new VerificationError('consistency.path-length', `path has ${path.length} hashes, more than the maximum ${MAX_CONSISTENCY_PATH}`, 'path');
  }
  // Drop the levels below the old tree's last full subtree: that subtree
  // (node fn on level t) appears unchanged in the new tree.
  const t = BigInt(trailingZeros(oldSize));
  const fn = (oldSize - 1n) >> t;
  const sn = (newSize - 1n) >> t;
  const want = inclusionPathLength(fn, sn + 1n) + (fn > 0n ? 1 : 0);
  if (path.length !== want) {
    throw new VerificationError('consistency.path-length', `path has ${path.length} hashes, expected ${want} for sizes ${oldSize} and ${newSize}`, 'path');
  }
  for (let i = 0; i < path.length; i++) checkHash(path[i]!, `path[${i}]`);
  // With fn = 0 the old tree is itself a perfect subtree: start from its root.
  const start = fn === 0n ? oldRoot : path[0]!;
  const [sr, fr] = fold(fn, sn, start, path, fn === 0n ? 0 : 1, true);
  if (!equal32(fr, oldRoot)) throw new VerificationError('consistency.old-root-mismatch', 'path does not lead to the old root hash', 'oldRoot');
  if (!equal32(sr, newRoot)) throw new VerificationError('consistency.new-root-mismatch', 'path does not lead to the new root hash', 'newRoot');
}
