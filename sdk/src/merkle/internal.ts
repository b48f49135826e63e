/** Helpers shared inside the Merkle module; not part of the public API. */
import { sha256 } from '../crypto/sha256.js';
import { ParseError } from '../errors.js';

/** Size of every Merkle hash (SHA-256). */
export const HASH_BYTES = 32;

/** The empty tree's root, private so callers cannot mutate it. */
export const EMPTY = sha256(new Uint8Array(0));

/** True if `h` is the empty tree's root. */
export function isEmptyRoot(h: Uint8Array): boolean {
  if (h.length !== HASH_BYTES) return false;
  let d = 0;
  for (let i = 0; i < HASH_BYTES; i++) d |= h[i]! ^ EMPTY[i]!;
  return d === 0;
}

/** Throw a ParseError unless `h` is a 32-byte hash. */
export function checkHash(h: Uint8Array, where: string): void {
  if (!(h instanceof Uint8Array)) throw new ParseError('merkle.hash-type', 'hash is not a Uint8Array', where);
  if (h.length !== HASH_BYTES) {
    throw new ParseError('merkle.hash-size', `hash has ${h.length} bytes, expected ${HASH_BYTES}`, where);
  }
}

/** A fresh copy of the empty tree's root hash. */
export function emptyRootCopy(): Uint8Array {
  return EMPTY.slice();
}

// One reusable 65-byte message buffer: interior nodes are always 0x01 || left || right,
// so hashing them needs no per-call allocation besides the digest.
const nodeMessage = new Uint8Array(1 + 2 * HASH_BYTES);
nodeMessage[0] = 0x01;

/** Interior node hash without argument checks (callers have checked sizes). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeMessage.set(left, 1);
  nodeMessage.set(right, 1 + HASH_BYTES);
  return sha256(nodeMessage);
}

/** 32-byte equality (both already checked to be 32 bytes). */
export function equal32(a: Uint8Array, b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < HASH_BYTES; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
