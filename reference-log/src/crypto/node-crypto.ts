/**
 * The log's hot-path crypto on `node:crypto` (the log runs only on Node):
 * SHA-256 without the pure-JS hasher, and synchronous Ed25519 verification
 * without WebCrypto's per-call promise and key import. The SDK's isomorphic
 * core stays pure; only the log uses this module.
 *
 * Ed25519 is the SDK's native path (`verifyNativeSync`, Go's verdicts, which
 * the CCTV vectors confirm in reference-log/test/node-crypto.test.ts too).
 */
import { createHash, hash } from 'node:crypto';
import { TREE_LEAF_NAMESPACE, verifyNativeSync, type AddLeafRequest } from '@sigsum-kit/sdk';

/**
 * SHA-256 of one buffer: the one-shot `crypto.hash` as a latin1 string, copied
 * into a Buffer from Node's pool. A third of the cost of a 'buffer' digest,
 * which mallocs its own store (issue 13: malloc was a tenth of a re-send).
 */
export function sha256Node(data: Uint8Array): Buffer {
  return Buffer.from(latin1Hash('sha256', data, 'latin1'), 'latin1');
}
// Node's types omit 'latin1', which `crypto.hash` accepts like every encoding.
const latin1Hash = hash as unknown as (algorithm: 'sha256', data: Uint8Array, outputEncoding: 'latin1') => string;

/** RFC 6962 leaf hash: SHA-256(0x00 || leaf). */
export function leafHashNode(leaf: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}
const LEAF_PREFIX = new Uint8Array([0]);

// Key hashes of recent submitter keys: one key usually signs many leaves.
const KEY_HASH_CACHE_MAX = 1024;
const keyHashes = new Map<string, Buffer>();

function keyHashOf(publicKey: Uint8Array): Buffer {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
  let h = keyHashes.get(id);
  if (h === undefined) {
    h = sha256Node(publicKey);
    if (keyHashes.size >= KEY_HASH_CACHE_MAX) keyHashes.delete(keyHashes.keys().next().value!);
    keyHashes.set(id, h);
  }
  return h;
}

/**
 * Ed25519 verification with Go's verdicts, synchronously on node:crypto with
 * a key-object cache; never throws. The SDK's native path (`verifyNativeSync`).
 */
export function ed25519VerifyNode(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyNativeSync(publicKey, message, signature);
}

const LEAF_NAMESPACE_BYTES = Buffer.from(TREE_LEAF_NAMESPACE + '\0', 'latin1');

/** A leaf ready to store: its 128 bytes and its leaf hash. */
export interface DerivedLeaf {
  /** checksum[32] || signature[64] || key_hash[32]. */
  leaf: Uint8Array;
  /** SHA-256(0x00 || leaf). */
  leafHash: Uint8Array;
  /** SHA-256(message), the signed checksum. */
  checksum: Uint8Array;
}

/** The leaf an add-leaf request asks to log (no signature check). */
export function leafOfRequest(req: AddLeafRequest): DerivedLeaf {
  // 0x00 || leaf in one buffer, so the leaf hash is one one-shot hash. From
  // Node's pool: a fresh 129-byte Uint8Array costs a malloc and ~2 µs.
  const prefixed = Buffer.allocUnsafe(129);
  prefixed[0] = 0;
  const checksum = sha256Node(req.message);
  prefixed.set(checksum, 1);
  prefixed.set(req.signature, 33);
  prefixed.set(keyHashOf(req.publicKey), 97);
  return { leaf: prefixed.subarray(1), leafHash: sha256Node(prefixed), checksum };
}

/** What a leaf's submitter signed: the tree-leaf namespace, a NUL, then the checksum. */
export function leafSignedMessage(checksum: Uint8Array): Buffer {
  return Buffer.concat([LEAF_NAMESPACE_BYTES, checksum]);
}

/** Check the leaf signature of an add-leaf request (namespace || 0x00 || checksum). */
export function verifyLeafRequestNode(req: AddLeafRequest, checksum: Uint8Array): boolean {
  return ed25519VerifyNode(req.publicKey, leafSignedMessage(checksum), req.signature);
}
