/**
 * Tree heads, their log signature (over the checkpoint text, C2SP
 * tlog-checkpoint body) and witness cosignatures (C2SP tlog-cosignature,
 * `cosignature/v1`).
 */
import { OutOfRangeError } from '../errors.js';
import { utf8 } from '../encoding/bytes.js';
import { toBase64 } from '../encoding/base64.js';
import { toHex } from '../encoding/hex.js';
import { MAX_UINT63, MAX_UINT64 } from '../encoding/integer.js';
import { keyHash } from '../crypto/keyhash.js';
import { verify, type Signer } from '../crypto/ed25519.js';

/** Prefix of a Sigsum log's checkpoint origin. */
export const CHECKPOINT_ORIGIN_PREFIX = 'sigsum.org/v1/tree/';
/** First line of every cosigned message. */
export const COSIGNATURE_NAMESPACE = 'cosignature/v1';

/** A Merkle tree head: size and root hash. */
export interface TreeHead {
  /** Number of leaves (0 ≤ size ≤ 2^63 − 1). */
  readonly size: bigint;
  /** RFC 6962 root hash (32 bytes). */
  readonly rootHash: Uint8Array;
}

/** A tree head with the log's signature over its checkpoint text. */
export interface SignedTreeHead extends TreeHead {
  /** Ed25519 signature by the log key over {@link checkpointText}. */
  readonly signature: Uint8Array;
}

/** A witness cosignature, identified by the witness key hash. */
export interface Cosignature {
  /** SHA-256 of the witness public key. */
  readonly keyHash: Uint8Array;
  /** Unix time in seconds at which the witness cosigned. */
  readonly timestamp: bigint;
  /** Ed25519 signature over {@link cosignatureMessage}. */
  readonly signature: Uint8Array;
}

/** A signed tree head with witness cosignatures (at most one per key hash). */
export interface CosignedTreeHead extends SignedTreeHead {
  /** Cosignatures, in wire order. */
  readonly cosignatures: readonly Cosignature[];
}

/** The checkpoint origin of a log: `sigsum.org/v1/tree/<lowercase hex key hash>`. */
export function treeHeadOrigin(logKeyHash: Uint8Array): string {
  return CHECKPOINT_ORIGIN_PREFIX + toHex(logKeyHash);
}

/** The checkpoint origin of a log given its public key. */
export function treeHeadOriginOfKey(logPublicKey: Uint8Array): string {
  return treeHeadOrigin(keyHash(logPublicKey));
}

/** The checkpoint text `origin\nsize\nbase64(root)\n` that the log signs. */
export function checkpointText(th: TreeHead, logKeyHash: Uint8Array): string {
  return formatCheckpoint(th, treeHeadOrigin(logKeyHash));
}

/** Checkpoint text of a tree head under an explicit origin (sigsum-go `FormatCheckpoint`). */
export function formatCheckpoint(th: TreeHead, origin: string): string {
  checkSize(th.size);
  return `${origin}\n${th.size}\n${toBase64(th.rootHash)}\n`;
}

/**
 * The cosigned text under an explicit origin: `cosignature/v1\ntime <ts>\n` + checkpoint text.
 * The timestamp may use the full u64 range of C2SP cosignatures (sigsum-go formats a uint64).
 */
export function cosignedText(th: TreeHead, origin: string, timestamp: bigint): string {
  if (timestamp < 0n || timestamp > MAX_UINT64) throw new OutOfRangeError('integer.range', `timestamp ${timestamp} is outside 0..2^64-1`);
  return `${COSIGNATURE_NAMESPACE}\ntime ${timestamp}\n${formatCheckpoint(th, origin)}`;
}

/** Sign a tree head with the log key (over the checkpoint text, no namespace). */
export async function signTreeHead(signer: Signer, th: TreeHead): Promise<SignedTreeHead> {
  const signature = await signer.sign(utf8(checkpointText(th, keyHash(signer.publicKey))));
  return { size: th.size, rootHash: th.rootHash, signature };
}

/** Verify the log signature of a signed tree head. Never throws on bad input: returns false. */
export function verifyTreeHeadSignature(sth: SignedTreeHead, logPublicKey: Uint8Array): Promise<boolean> {
  if (sth.size < 0n || sth.size > MAX_UINT63) return Promise.resolve(false);
  return verify(logPublicKey, utf8(checkpointText(sth, keyHash(logPublicKey))), sth.signature);
}

/** The text a witness signs: `cosignature/v1\ntime <ts>\n` followed by the checkpoint text. */
export function cosignatureMessage(th: TreeHead, logKeyHash: Uint8Array, timestamp: bigint): string {
  return cosignedText(th, treeHeadOrigin(logKeyHash), timestamp);
}

/** Cosign a tree head of the log with key hash `logKeyHash` at `timestamp`. */
export async function cosignTreeHead(signer: Signer, th: TreeHead, logKeyHash: Uint8Array, timestamp: bigint): Promise<Cosignature> {
  const signature = await signer.sign(utf8(cosignatureMessage(th, logKeyHash, timestamp)));
  return { keyHash: keyHash(signer.publicKey), timestamp, signature };
}

/**
 * Verify a cosignature with the witness public key (signature only, as Go's
 * `Cosignature.Verify`; callers match `cosig.keyHash` to the witness).
 * Never throws on bad input: returns false.
 */
export function verifyCosignature(cosig: Cosignature, witnessPublicKey: Uint8Array, th: TreeHead, logKeyHash: Uint8Array): Promise<boolean> {
  if (cosig.timestamp < 0n || cosig.timestamp > MAX_UINT64 || th.size < 0n || th.size > MAX_UINT63) return Promise.resolve(false);
  return verify(witnessPublicKey, utf8(cosignatureMessage(th, logKeyHash, cosig.timestamp)), cosig.signature);
}

function checkSize(v: bigint): void {
  if (v < 0n || v > MAX_UINT63) throw new OutOfRangeError('integer.range', `${v} is outside 0..2^63-1`);
}
