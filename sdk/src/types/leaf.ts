/**
 * The Sigsum leaf: `checksum[32] ‖ signature[64] ‖ key_hash[32]` (128 bytes),
 * where checksum = SHA-256(message) and the signature is the submitter's
 * namespaced signature (`sigsum.org/v1/tree-leaf`) over the checksum.
 */
import { ParseError } from '../errors.js';
import { bytesEqual, concatBytes } from '../encoding/bytes.js';
import { HASH_SIZE, sha256 } from '../crypto/sha256.js';
import { SIGNATURE_SIZE, type Signer } from '../crypto/ed25519.js';
import { TREE_LEAF_NAMESPACE, signNamespaced, verifyNamespaced } from '../crypto/namespace.js';
import { keyHash } from '../crypto/keyhash.js';
import { hashLeaf } from '../merkle/hash.js';

/** Size of a serialized leaf. */
export const LEAF_SIZE = 128;

/** One entry of a Sigsum log. */
export interface Leaf {
  /** SHA-256 of the submitted 32-byte message. */
  readonly checksum: Uint8Array;
  /** Submitter's Ed25519 signature over the checksum (namespace `sigsum.org/v1/tree-leaf`). */
  readonly signature: Uint8Array;
  /** SHA-256 of the submitter's public key. */
  readonly keyHash: Uint8Array;
}

/** Serialize a leaf to its 128 bytes `checksum ‖ signature ‖ key_hash`. */
export function leafToBytes(leaf: Leaf): Uint8Array {
  checkLeafSizes(leaf);
  return concatBytes(leaf.checksum, leaf.signature, leaf.keyHash);
}

/**
 * Parse the 128-byte leaf encoding.
 * @throws ParseError `leaf.size` for any other length.
 */
export function leafFromBytes(b: Uint8Array): Leaf {
  if (b.length !== LEAF_SIZE) throw new ParseError('leaf.size', `a leaf is ${LEAF_SIZE} bytes, got ${b.length}`, 'leaf');
  return {
    checksum: b.slice(0, 32),
    signature: b.slice(32, 96),
    keyHash: b.slice(96, 128),
  };
}

/** RFC 6962 leaf hash of the leaf: SHA-256(0x00 ‖ leafToBytes(leaf)). */
export function leafHashOf(leaf: Leaf): Uint8Array {
  return hashLeaf(leafToBytes(leaf));
}

/** The checksum logged for `message`: SHA-256(message). */
export function checksumOf(message: Uint8Array): Uint8Array {
  return sha256(message);
}

/**
 * The submitter's leaf signature for a message: Ed25519 under the
 * `sigsum.org/v1/tree-leaf` namespace over SHA-256(message).
 */
export function signLeaf(signer: Signer, message: Uint8Array): Promise<Uint8Array> {
  return signNamespaced(signer, TREE_LEAF_NAMESPACE, checksumOf(message));
}

/** Build the complete leaf for `message` signed by `signer`. */
export async function makeLeaf(signer: Signer, message: Uint8Array): Promise<Leaf> {
  return { checksum: checksumOf(message), signature: await signLeaf(signer, message), keyHash: keyHash(signer.publicKey) };
}

/**
 * Verify a leaf against a submitter public key as sigsum-go's `Leaf.Verify`:
 * the key hash must be SHA-256(publicKey) and the signature must verify over
 * the checksum. Never throws; returns false on any mismatch.
 */
export async function verifyLeafSignature(leaf: Leaf, publicKey: Uint8Array): Promise<boolean> {
  if (leaf.keyHash.length !== HASH_SIZE || leaf.checksum.length !== HASH_SIZE) return false;
  if (!bytesEqual(leaf.keyHash, keyHash(publicKey))) return false;
  return verifyNamespaced(publicKey, TREE_LEAF_NAMESPACE, leaf.checksum, leaf.signature);
}

/** Verify a leaf signature over the checksum of `message` (what add-leaf checks). */
export function verifyLeafMessage(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return verifyNamespaced(publicKey, TREE_LEAF_NAMESPACE, checksumOf(message), signature);
}

function checkLeafSizes(leaf: Leaf): void {
  if (leaf.checksum.length !== HASH_SIZE) throw new ParseError('leaf.size', `checksum must be ${HASH_SIZE} bytes`, 'checksum');
  if (leaf.signature.length !== SIGNATURE_SIZE) throw new ParseError('leaf.size', `signature must be ${SIGNATURE_SIZE} bytes`, 'signature');
  if (leaf.keyHash.length !== HASH_SIZE) throw new ParseError('leaf.size', `key hash must be ${HASH_SIZE} bytes`, 'key_hash');
}
