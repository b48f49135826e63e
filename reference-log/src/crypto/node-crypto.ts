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
import { TREE_LEAF_NAMESPACE, parseAddLeafRequest, verifyNativeSync, type AddLeafRequest } from '@sigsum-kit/sdk';

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

// Recent submitter keys by their hex, with their key hashes: one key usually signs many leaves.
const KEY_CACHE_MAX = 1024;
const submitterKeys = new Map<string, { publicKey: Uint8Array; keyHash: Buffer }>();

function submitterKey(hex: string, decode: (hex: string) => Uint8Array | undefined): { publicKey: Uint8Array; keyHash: Buffer } | undefined {
  let k = submitterKeys.get(hex);
  if (k === undefined) {
    const publicKey = decode(hex);
    if (publicKey === undefined) return undefined;
    k = { publicKey, keyHash: sha256Node(publicKey) };
    if (submitterKeys.size >= KEY_CACHE_MAX) submitterKeys.delete(submitterKeys.keys().next().value!);
    submitterKeys.set(hex, k);
  }
  return k;
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
  const prefixed = leafBuffer();
  prefixed.set(req.signature, 33);
  const key = req.publicKey;
  const keyHex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
  const leafHash = hashLeaf(prefixed, req.message, submitterKey(keyHex, () => key)!.keyHash);
  return { leaf: prefixed.subarray(1), leafHash, checksum: prefixed.subarray(1, 33) };
}

/** An add-leaf request and the leaf it asks to log. */
export interface SubmittedLeaf extends DerivedLeaf {
  /** The request as the SDK's `parseAddLeafRequest` reads it. */
  readonly request: AddLeafRequest;
}

/**
 * Read an add-leaf body and derive its leaf (no signature check). The body
 * every client sends, the three lines in order with nothing else, is decoded
 * by Node's native hex straight into the leaf's buffer; any other body goes
 * to the SDK's parser, which gives Go's verdict and, for a bad body, its
 * typed error. Both read the same values from such a body: node:hex takes
 * either case, like the SDK, and a bad digit cuts its output short, which
 * sends the body to the SDK.
 * @throws the SDK's `ParseError` for a malformed body.
 */
export function leafOfBody(body: string): SubmittedLeaf {
  const canonical = leafOfCanonicalBody(body);
  if (canonical !== undefined) return canonical;
  const request = parseAddLeafRequest(body);
  return { ...leafOfRequest(request), request };
}

// `message=<64 hex>\nsignature=<128 hex>\npublic_key=<64 hex>\n`: where each value starts and ends.
const MESSAGE_AT = 'message='.length;
const SIGNATURE_KEY_AT = MESSAGE_AT + 64;
const SIGNATURE_AT = SIGNATURE_KEY_AT + '\nsignature='.length;
const KEY_KEY_AT = SIGNATURE_AT + 128;
const KEY_AT = KEY_KEY_AT + '\npublic_key='.length;
const CANONICAL_LENGTH = KEY_AT + 64 + 1;

const publicKeyOfHex = (hex: string): Uint8Array | undefined => {
  const key = Buffer.from(hex, 'hex');
  return key.length === 32 ? key : undefined;
};

function leafOfCanonicalBody(body: string): SubmittedLeaf | undefined {
  if (body.length !== CANONICAL_LENGTH || !body.startsWith('message=') || !body.startsWith('\nsignature=', SIGNATURE_KEY_AT) || !body.startsWith('\npublic_key=', KEY_KEY_AT) || body.charCodeAt(CANONICAL_LENGTH - 1) !== 10) return undefined;
  const message = Buffer.from(body.slice(MESSAGE_AT, SIGNATURE_KEY_AT), 'hex');
  if (message.length !== 32) return undefined;
  const prefixed = leafBuffer();
  if (prefixed.write(body.slice(SIGNATURE_AT, KEY_KEY_AT), 33, 'hex') !== 64) return undefined;
  const key = submitterKey(body.slice(KEY_AT, CANONICAL_LENGTH - 1), publicKeyOfHex);
  if (key === undefined) return undefined;
  return new BodyLeaf(prefixed, hashLeaf(prefixed, message, key.keyHash), message, key.publicKey);
}

/**
 * A leaf read from a canonical body. Its views are made when asked for: a
 * re-send, the commonest add-leaf, needs only the leaf hash.
 */
class BodyLeaf implements SubmittedLeaf {
  readonly #prefixed: Buffer;
  readonly #message: Uint8Array;
  readonly #publicKey: Uint8Array;
  constructor(
    prefixed: Buffer,
    readonly leafHash: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ) {
    this.#prefixed = prefixed;
    this.#message = message;
    this.#publicKey = publicKey;
  }
  get leaf(): Uint8Array {
    return this.#prefixed.subarray(1);
  }
  get checksum(): Uint8Array {
    return this.#prefixed.subarray(1, 33);
  }
  get request(): AddLeafRequest {
    return { message: this.#message, signature: this.#prefixed.subarray(33, 97), publicKey: this.#publicKey };
  }
}

// 0x00 || leaf in one buffer, so the leaf hash is one one-shot hash. From
// Node's pool: a fresh 129-byte Uint8Array costs a malloc and ~2 µs.
function leafBuffer(): Buffer {
  const prefixed = Buffer.allocUnsafe(129);
  prefixed[0] = 0;
  return prefixed;
}

/** Put the checksum and key hash around the signature already at 33..97; the leaf hash. */
function hashLeaf(prefixed: Buffer, message: Uint8Array, keyHash: Buffer): Buffer {
  prefixed.write(latin1Hash('sha256', message, 'latin1'), 1, 'latin1');
  prefixed.set(keyHash, 97);
  return sha256Node(prefixed);
}

/** What a leaf's submitter signed: the tree-leaf namespace, a NUL, then the checksum. */
export function leafSignedMessage(checksum: Uint8Array): Buffer {
  return Buffer.concat([LEAF_NAMESPACE_BYTES, checksum]);
}

/** Check the leaf signature of an add-leaf request (namespace || 0x00 || checksum). */
export function verifyLeafRequestNode(req: AddLeafRequest, checksum: Uint8Array): boolean {
  return ed25519VerifyNode(req.publicKey, leafSignedMessage(checksum), req.signature);
}
