/**
 * RFC 6962 / RFC 9162 §2.1.1 hashing: leaves are `SHA-256(0x00 || data)`,
 * interior nodes `SHA-256(0x01 || left || right)`, the empty tree `SHA-256("")`.
 */
import { sha256 } from '../crypto/sha256.js';
import { EMPTY, HASH_BYTES, checkHash, emptyRootCopy, nodeHash } from './internal.js';

/** Size of every Merkle hash (SHA-256). */
export const MERKLE_HASH_SIZE = HASH_BYTES;

/** Domain-separation prefix of leaf hashes. */
export const LEAF_PREFIX = 0x00;
/** Domain-separation prefix of interior-node hashes. */
export const NODE_PREFIX = 0x01;

/**
 * Root hash of the empty tree, `SHA-256("")`. A shared constant: do not
 * mutate it (the module itself compares against a private copy; use
 * {@link emptyRoot} for a copy of your own).
 */
export const EMPTY_ROOT: Uint8Array = EMPTY.slice();

/** A fresh copy of the empty tree's root hash. */
export function emptyRoot(): Uint8Array {
  return emptyRootCopy();
}

const LEAF_BYTE = new Uint8Array([LEAF_PREFIX]);

/** Leaf hash of `data`: `SHA-256(0x00 || data)`. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return sha256(LEAF_BYTE, data);
}

/**
 * Interior node hash: `SHA-256(0x01 || left || right)`.
 * @throws ParseError (`merkle.hash-size`) unless both children are 32 bytes.
 */
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  checkHash(left, 'left');
  checkHash(right, 'right');
  return nodeHash(left, right);
}

/**
 * Root hash of the tree whose leaves have the given leaf hashes (RFC 9162
 * MTH; the empty list gives the empty tree's root). Linear time, O(log n) memory.
 * @throws ParseError (`merkle.hash-size`, where `leaf N`) for a hash that is not 32 bytes.
 */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  // A compact range: the right border of perfect subtrees, folded at the end.
  const border: Uint8Array[] = [];
  for (let i = 0; i < hashes.length; i++) {
    const leaf = hashes[i]!;
    checkHash(leaf, `leaf ${i}`);
    let h = leaf;
    for (let s = i + 1; s % 2 === 0; s /= 2) h = nodeHash(border.pop()!, h);
    border.push(h);
  }
  if (border.length === 0) return emptyRootCopy();
  let root = border[border.length - 1]!;
  for (let j = border.length - 2; j >= 0; j--) root = nodeHash(border[j]!, root);
  // A one-leaf tree's root is the caller's own array: hand back a copy.
  return border.length === 1 && hashes.length === 1 ? root.slice() : root;
}
