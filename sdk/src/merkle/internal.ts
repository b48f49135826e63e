/** Helpers shared inside the Merkle module; not part of the public API. */
import { HASH_SIZE, sha256 } from '../crypto/sha256.js';
import { OutOfRangeError, ParseError, VerificationError } from '../errors.js';
import { MAX_UINT63 } from '../encoding/integer.js';

/** The empty tree's root, private so callers cannot mutate it. Pure: dropped from bundles that never use it. */
export const EMPTY = /* @__PURE__ */ sha256(new Uint8Array(0));

/** True if `h` is the empty tree's root. */
export function isEmptyRoot(h: Uint8Array): boolean {
  if (h.length !== HASH_SIZE) return false;
  let d = 0;
  for (let i = 0; i < HASH_SIZE; i++) d |= h[i]! ^ EMPTY[i]!;
  return d === 0;
}

/** Throw a ParseError unless `h` is a 32-byte hash. */
export function checkHash(h: Uint8Array, where: string): void {
  if (!(h instanceof Uint8Array)) throw new ParseError('merkle.hash-type', 'hash is not a Uint8Array', where);
  if (h.length !== HASH_SIZE) {
    throw new ParseError('merkle.hash-size', `hash has ${h.length} bytes, expected ${HASH_SIZE}`, where);
  }
}

/** A fresh copy of the empty tree's root hash. */
export function emptyRootCopy(): Uint8Array {
  return EMPTY.slice();
}

/** Largest tree size or index accepted: 2^63 − 1 (Go's wire limit). */
export const MAX_TREE_SIZE = MAX_UINT63;
/** Longest inclusion path for any tree size < 2^63. */
export const MAX_INCLUSION_PATH = 63;

/** Throw unless `v` is a bigint in 0..2^63−1. */
export function checkUint63(v: bigint, where: string): void {
  if (typeof v !== 'bigint') throw new TypeError(`${where} must be a bigint`);
  if (v < 0n || v > MAX_TREE_SIZE) throw new OutOfRangeError('merkle.uint63', `${v} is outside 0..2^63-1`, where);
}

/** Number of bits of a non-negative bigint. */
export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

function popCount(v: bigint): number {
  let n = 0;
  for (const c of v.toString(2)) if (c === '1') n++;
  return n;
}

/** Go's `pathLength`: hashes in the inclusion path of leaf `index` in a tree of `size` leaves (`index < size`). */
export function inclusionLength(index: bigint, size: bigint): number {
  const k = bitLength(index ^ (size - 1n));
  return k + popCount(index >> BigInt(k));
}

/**
 * The structural checks of an inclusion proof, in sigsum-go's order, before any hashing.
 * @throws as `rootFromInclusionProof` (see `verify.ts`).
 */
export function checkInclusion(leafHash: Uint8Array, index: bigint, size: bigint, path: readonly Uint8Array[]): void {
  checkUint63(index, 'index');
  checkUint63(size, 'size');
  if (index >= size) throw new VerificationError('inclusion.index-range', `index ${index} is not below tree size ${size}`, 'index');
  // The cap comes first so an absurd path is refused before any other work.
  const want = path.length > MAX_INCLUSION_PATH ? -1 : inclusionLength(index, size);
  if (path.length !== want) {
    throw new VerificationError('inclusion.path-length', `path has ${path.length} hashes, ${want < 0 ? `more than the maximum ${MAX_INCLUSION_PATH}` : `expected ${want} for index ${index} in size ${size}`}`, 'path');
  }
  checkHash(leafHash, 'leafHash');
  for (let i = 0; i < path.length; i++) checkHash(path[i]!, `path[${i}]`);
}

// One reusable 65-byte message buffer: interior nodes are always 0x01 || left || right,
// so hashing them needs no per-call allocation besides the digest.
const nodeMessage = /* @__PURE__ */ nodeMessageBuffer();

/** A 65-byte message whose first byte is the interior-node prefix 0x01. */
export function nodeMessageBuffer(): Uint8Array {
  const m = new Uint8Array(1 + 2 * HASH_SIZE);
  m[0] = 0x01;
  return m;
}

/** Interior node hash without argument checks (callers have checked sizes). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeMessage.set(left, 1);
  nodeMessage.set(right, 1 + HASH_SIZE);
  return sha256(nodeMessage);
}

/** 32-byte equality (both already checked to be 32 bytes). */
export function equal32(a: Uint8Array, b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < HASH_SIZE; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
