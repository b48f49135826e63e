/**
 * Bodies of the Sigsum log API (log.md v1), parsed and written byte for byte
 * as sigsum-go does. Each `parse*Body` reads a whole body; the `read*` /
 * `write*` helpers work on a shared {@link AsciiReader} / {@link AsciiWriter}
 * so that composite formats (proof files) reuse them.
 */
import { ParseError, VerificationError } from '../errors.js';
import { AsciiReader, AsciiWriter, type AsciiReaderOptions } from '../encoding/ascii.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { parseUint63 } from '../encoding/integer.js';
import { HASH_SIZE } from '../crypto/sha256.js';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from '../crypto/ed25519.js';
import { keyHash } from '../crypto/keyhash.js';
import { checksumOf, verifyLeafMessage, type Leaf } from './leaf.js';
import type { Cosignature, CosignedTreeHead, SignedTreeHead, TreeHead } from './tree-head.js';

/** Most node hashes in an inclusion or consistency proof (sigsum-go `proofSizeLimit`). */
export const MAX_PROOF_HASHES = 63;

/** Body of `get-inclusion-proof`: the leaf index and the audit path. */
export interface InclusionProof {
  /** 0-based index of the leaf. */
  readonly leafIndex: bigint;
  /** Sibling hashes from the leaf up (1..63 on the wire). */
  readonly path: readonly Uint8Array[];
}

/** Body of `get-consistency-proof`: the proof hashes. */
export interface ConsistencyProof {
  /** Proof hashes (1..63 on the wire). */
  readonly path: readonly Uint8Array[];
}

/** The `add-leaf` request body. */
export interface AddLeafRequest {
  /** The 32-byte message (normally SHA-256 of the data); the log stores SHA-256(message). */
  readonly message: Uint8Array;
  /** Leaf signature over SHA-256(message). */
  readonly signature: Uint8Array;
  /** Submitter's raw Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

// ---------------------------------------------------------------- reader helpers

/** Read `size=` and `root_hash=`. */
export function readTreeHead(r: AsciiReader): TreeHead {
  const size = r.uint63('size');
  const rootHash = r.hex('root_hash', HASH_SIZE);
  return { size, rootHash };
}

/** Read `size=`, `root_hash=`, `signature=`. */
export function readSignedTreeHead(r: AsciiReader): SignedTreeHead {
  const th = readTreeHead(r);
  const signature = r.hex('signature', SIGNATURE_SIZE);
  return { ...th, signature };
}

/** Parse the value of a `cosignature=` line: `<key hash hex> <timestamp> <signature hex>`. */
export function parseCosignatureValue(value: string, where = 'cosignature'): Cosignature {
  const f = value.split(' ');
  if (f.length !== 3) throw new ParseError('ascii.fields', `expected 3 space-separated values, got ${f.length}`, where);
  return {
    keyHash: fromHex(f[0]!, `${where} key hash`, HASH_SIZE),
    timestamp: parseUint63(f[1]!, `${where} timestamp`),
    signature: fromHex(f[2]!, `${where} signature`, SIGNATURE_SIZE),
  };
}

/**
 * Read the `cosignature=` lines that follow a signed tree head, up to the end
 * of input or (with `stopAtEmptyLine`) an empty line.
 * @throws ParseError `cosignature.duplicate` when two lines carry the same key hash.
 */
export function readCosignatures(r: AsciiReader, options: { stopAtEmptyLine?: boolean } = {}): Cosignature[] {
  const seen = new Set<string>();
  return r.repeated(
    'cosignature',
    (v, where) => {
      const c = parseCosignatureValue(v, where);
      const k = toHex(c.keyHash);
      if (seen.has(k)) throw new ParseError('cosignature.duplicate', `duplicate cosignature key hash ${k}`, where);
      seen.add(k);
      return c;
    },
    { stopAtEmptyLine: options.stopAtEmptyLine === true },
  );
}

/** Read 1..63 `node_hash=` lines (to the end, or to an empty line with `stopAtEmptyLine`). */
export function readNodeHashes(r: AsciiReader, options: { stopAtEmptyLine?: boolean } = {}): Uint8Array[] {
  return r.repeated('node_hash', (v, where) => fromHex(v, where, HASH_SIZE), {
    min: 1,
    max: MAX_PROOF_HASHES,
    stopAtEmptyLine: options.stopAtEmptyLine === true,
  });
}

/** Read `leaf_index=` and 1..63 `node_hash=` lines. */
export function readInclusionProof(r: AsciiReader, options: { stopAtEmptyLine?: boolean } = {}): InclusionProof {
  const leafIndex = r.uint63('leaf_index');
  return { leafIndex, path: readNodeHashes(r, options) };
}

/** Parse the value of a `leaf=` line: `<checksum> <signature> <key hash>` (get-leaves order). */
export function parseLeafValue(value: string, where = 'leaf'): Leaf {
  const f = value.split(' ');
  if (f.length !== 3) throw new ParseError('ascii.fields', `expected 3 space-separated values, got ${f.length}`, where);
  return {
    checksum: fromHex(f[0]!, `${where} checksum`, HASH_SIZE),
    signature: fromHex(f[1]!, `${where} signature`, SIGNATURE_SIZE),
    keyHash: fromHex(f[2]!, `${where} key hash`, HASH_SIZE),
  };
}

// ---------------------------------------------------------------- writer helpers

/** Write `size=` and `root_hash=`. */
export function writeTreeHead(w: AsciiWriter, th: TreeHead): AsciiWriter {
  checkLen(th.rootHash, HASH_SIZE, 'root_hash');
  return w.line('size', th.size).line('root_hash', th.rootHash);
}

/** Write `size=`, `root_hash=`, `signature=`. */
export function writeSignedTreeHead(w: AsciiWriter, sth: SignedTreeHead): AsciiWriter {
  checkLen(sth.signature, SIGNATURE_SIZE, 'signature');
  return writeTreeHead(w, sth).line('signature', sth.signature);
}

/**
 * Write `cosignature=` lines sorted by key hash (sigsum-go writes them in map
 * order; sorting makes the output deterministic and matches the vectors).
 */
export function writeCosignatures(w: AsciiWriter, cosignatures: readonly Cosignature[]): AsciiWriter {
  const sorted = [...cosignatures].sort((a, b) => compareBytes(a.keyHash, b.keyHash));
  for (const c of sorted) {
    checkLen(c.keyHash, HASH_SIZE, 'cosignature key hash');
    checkLen(c.signature, SIGNATURE_SIZE, 'cosignature signature');
    w.line('cosignature', c.keyHash, c.timestamp, c.signature);
  }
  return w;
}

/** Write `node_hash=` lines. */
export function writeNodeHashes(w: AsciiWriter, path: readonly Uint8Array[]): AsciiWriter {
  for (const h of path) {
    checkLen(h, HASH_SIZE, 'node_hash');
    w.line('node_hash', h);
  }
  return w;
}

/** Write `leaf_index=` and `node_hash=` lines. */
export function writeInclusionProof(w: AsciiWriter, p: InclusionProof): AsciiWriter {
  return writeNodeHashes(w.line('leaf_index', p.leafIndex), p.path);
}

// ---------------------------------------------------------------- whole bodies

/** Parse a `size`/`root_hash` body (types.TreeHead). */
export function parseTreeHeadBody(body: string | Uint8Array, options?: AsciiReaderOptions): TreeHead {
  const r = new AsciiReader(body, options);
  const th = readTreeHead(r);
  r.end();
  return th;
}

/** Serialize a tree head body. */
export function serializeTreeHead(th: TreeHead): string {
  return writeTreeHead(new AsciiWriter(), th).toString();
}

/** Parse a signed tree head body (`get-secondary-tree-head`). */
export function parseSignedTreeHeadBody(body: string | Uint8Array, options?: AsciiReaderOptions): SignedTreeHead {
  const r = new AsciiReader(body, options);
  const sth = readSignedTreeHead(r);
  r.end();
  return sth;
}

/** Serialize a signed tree head body. */
export function serializeSignedTreeHead(sth: SignedTreeHead): string {
  return writeSignedTreeHead(new AsciiWriter(), sth).toString();
}

/** Parse a body holding exactly one `cosignature=` line. */
export function parseCosignatureBody(body: string | Uint8Array, options?: AsciiReaderOptions): Cosignature {
  const r = new AsciiReader(body, options);
  const where = r.whereNext('cosignature');
  const c = parseCosignatureValue(r.value('cosignature'), where);
  r.end();
  return c;
}

/** Serialize one `cosignature=` line. */
export function serializeCosignature(c: Cosignature): string {
  return writeCosignatures(new AsciiWriter(), [c]).toString();
}

/**
 * Parse a `get-tree-head` response: size, root_hash, signature, then zero or
 * more cosignature lines with distinct key hashes.
 */
export function parseCosignedTreeHeadBody(body: string | Uint8Array, options?: AsciiReaderOptions): CosignedTreeHead {
  const r = new AsciiReader(body, options);
  const sth = readSignedTreeHead(r);
  const cosignatures = readCosignatures(r);
  r.end();
  return { ...sth, cosignatures };
}

/** Serialize a `get-tree-head` response (cosignatures sorted by key hash). */
export function serializeCosignedTreeHead(cth: CosignedTreeHead): string {
  return writeCosignatures(writeSignedTreeHead(new AsciiWriter(), cth), cth.cosignatures).toString();
}

/** Parse a `get-inclusion-proof` response. */
export function parseInclusionProofBody(body: string | Uint8Array, options?: AsciiReaderOptions): InclusionProof {
  const r = new AsciiReader(body, options);
  const p = readInclusionProof(r);
  r.end();
  return p;
}

/** Serialize a `get-inclusion-proof` response. */
export function serializeInclusionProof(p: InclusionProof): string {
  checkPathLength(p.path);
  return writeInclusionProof(new AsciiWriter(), p).toString();
}

/** Parse a `get-consistency-proof` response. */
export function parseConsistencyProofBody(body: string | Uint8Array, options?: AsciiReaderOptions): ConsistencyProof {
  const r = new AsciiReader(body, options);
  const path = readNodeHashes(r);
  r.end();
  return { path };
}

/** Serialize a `get-consistency-proof` response. */
export function serializeConsistencyProof(p: ConsistencyProof): string {
  checkPathLength(p.path);
  return writeNodeHashes(new AsciiWriter(), p.path).toString();
}

/** Options of {@link parseLeavesBody}. */
export interface LeavesBodyOptions extends AsciiReaderOptions {
  /** Most leaves accepted (a client passes end − start of its request). */
  maxCount?: number;
}

/** Parse a `get-leaves` response: 1..maxCount `leaf=<checksum> <signature> <key hash>` lines. */
export function parseLeavesBody(body: string | Uint8Array, options: LeavesBodyOptions = {}): Leaf[] {
  const r = new AsciiReader(body, options);
  const leaves = r.repeated('leaf', parseLeafValue, { min: 1, ...(options.maxCount === undefined ? {} : { max: options.maxCount }) });
  r.end();
  return leaves;
}

/** Serialize a `get-leaves` response. */
export function serializeLeaves(leaves: readonly Leaf[]): string {
  const w = new AsciiWriter();
  for (const l of leaves) {
    checkLen(l.checksum, HASH_SIZE, 'checksum');
    checkLen(l.signature, SIGNATURE_SIZE, 'signature');
    checkLen(l.keyHash, HASH_SIZE, 'key hash');
    w.line('leaf', l.checksum, l.signature, l.keyHash);
  }
  return w.toString();
}

/** Parse an `add-leaf` request: `message=`, `signature=`, `public_key=`. */
export function parseAddLeafRequest(body: string | Uint8Array, options?: AsciiReaderOptions): AddLeafRequest {
  const r = new AsciiReader(body, options);
  const message = r.hex('message', HASH_SIZE);
  const signature = r.hex('signature', SIGNATURE_SIZE);
  const publicKey = r.hex('public_key', PUBLIC_KEY_SIZE);
  r.end();
  return { message, signature, publicKey };
}

/** Serialize an `add-leaf` request. */
export function serializeAddLeafRequest(req: AddLeafRequest): string {
  checkLen(req.message, HASH_SIZE, 'message');
  checkLen(req.signature, SIGNATURE_SIZE, 'signature');
  checkLen(req.publicKey, PUBLIC_KEY_SIZE, 'public_key');
  return new AsciiWriter().line('message', req.message).line('signature', req.signature).line('public_key', req.publicKey).toString();
}

/**
 * Check an add-leaf request's signature and derive the leaf to log
 * (checksum = SHA-256(message), key hash = SHA-256(public key)), as sigsum-go's
 * `requests.Leaf.Verify`.
 * @throws VerificationError `add-leaf.signature` when the signature does not verify (the log answers 403).
 */
export async function verifyAddLeafRequest(req: AddLeafRequest): Promise<Leaf> {
  if (!(await verifyLeafMessage(req.publicKey, req.message, req.signature))) {
    throw new VerificationError('add-leaf.signature', 'leaf signature does not verify', 'signature');
  }
  return { checksum: checksumOf(req.message), signature: req.signature.slice(), keyHash: keyHash(req.publicKey) };
}

function checkLen(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw new TypeError(`${what} must be ${n} bytes, got ${b.length}`);
}

function checkPathLength(path: readonly Uint8Array[]): void {
  if (path.length < 1 || path.length > MAX_PROOF_HASHES) throw new TypeError(`a proof has 1..${MAX_PROOF_HASHES} hashes on the wire, got ${path.length}`);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
