/**
 * The reference witness's decision logic for C2SP tlog-witness
 * `add-checkpoint`, free of I/O so that the HTTP server, the vector suite
 * (in Node and in browsers) and tests all run the same code.
 *
 * Checks run in sigsum-go's order, so that every request gets the status
 * code sigsum-witness gives: 400 malformed (including old > size and a
 * missing/unexpected proof), 404 unknown origin, 403 wrong key ID or bad log
 * signature, 409 old size ≠ stored size, 422 proof does not connect the
 * stored tree head to the new one.
 */
import {
  CONTENT_TYPE_TLOG_SIZE,
  SIG_TYPE_COSIGNATURE,
  SigsumError,
  cosignCheckpoint,
  formatCosignatureLine,
  formatTlogSize,
  keyHash,
  keyId,
  logKeyId,
  parseAddCheckpointRequest,
  sha256,
  treeHeadOriginOfKey,
  verifyConsistency,
  verifySigsumCheckpoint,
  witnessKeyName,
  type Signer,
} from '@sigsum-kit/sdk';

/** Largest add-checkpoint body the witness parses (63 proof lines and 16 signature lines need under 12 KiB). */
export const MAX_ADD_CHECKPOINT_BYTES = 16 * 1024;

/** What the witness remembers per log: the last tree head it cosigned. */
export interface WitnessState {
  /** Tree size (0 before the first cosignature). */
  size: bigint;
  /** 32-byte root hash (`H("")` for the empty tree). */
  rootHash: Uint8Array;
}

/** State of an origin that was never cosigned: size 0 and the empty tree's root, `H("")`. */
export function emptyState(): WitnessState {
  return { size: 0n, rootHash: sha256(new Uint8Array(0)) };
}

/** A log the witness serves, keyed by its origin. */
export interface WitnessLog {
  /** `sigsum.org/v1/tree/<hex key hash>`. */
  origin: string;
  /** Raw 32-byte Ed25519 public key of the log. */
  publicKey: Uint8Array;
  /** SHA-256 of the public key. */
  keyHash: Uint8Array;
  /** Signed-note key ID of the log's signature lines (type 0x01, key name = origin). */
  keyId: Uint8Array;
}

/** Build the {@link WitnessLog} entry of a log public key. */
export function witnessLog(publicKey: Uint8Array): WitnessLog {
  const origin = treeHeadOriginOfKey(publicKey);
  return { origin, publicKey, keyHash: keyHash(publicKey), keyId: logKeyId(origin, publicKey) };
}

/** Index log public keys by origin. */
export function witnessLogs(publicKeys: Iterable<Uint8Array>): Map<string, WitnessLog> {
  const m = new Map<string, WitnessLog>();
  for (const k of publicKeys) {
    const l = witnessLog(k);
    m.set(l.origin, l);
  }
  return m;
}

/** The witness's signing identity. */
export interface WitnessIdentity {
  /** The witness key. */
  signer: Signer;
  /** `sigsum.org/v1/witness/<hex key hash>`. */
  keyName: string;
  /** Signed-note key ID of its cosignature lines (type 0x04). */
  keyId: Uint8Array;
}

/** Derive the witness identity (key name and key ID) of a signer. */
export function witnessIdentity(signer: Signer): WitnessIdentity {
  const keyName = witnessKeyName(keyHash(signer.publicKey));
  return { signer, keyName, keyId: keyId(keyName, SIG_TYPE_COSIGNATURE, signer.publicKey) };
}

/** A refusal: HTTP status and a plain-text message (for 409, the stored size). */
export interface WitnessRefusal {
  ok: false;
  /** 400 malformed, 404 unknown origin, 403 key ID/signature, 409 size conflict, 422 inconsistent. */
  status: 400 | 403 | 404 | 409 | 422;
  /** What was wrong and where (the plain-text body for everything but 409). */
  message: string;
  /** For 409: the witness's current size for this origin. */
  size?: bigint;
}

/** A request that passed every check against `expected`; storing `next` is all that is left. */
export interface WitnessAcceptance {
  ok: true;
  /** The log the checkpoint belongs to. */
  log: WitnessLog;
  /** The stored state the request was checked against. */
  expected: WitnessState;
  /** The new state: the checkpoint's size and root. */
  next: WitnessState;
  /** The checkpoint's log signature, raw 64 bytes. */
  logSignature: Uint8Array;
}

/** The HTTP-level answer of the witness. */
export interface WitnessResponse {
  /** HTTP status code. */
  status: number;
  /** `text/plain; charset=utf-8`, or `text/x.tlog.size` for 409. */
  contentType: string;
  /** Response body. */
  body: string;
}

function refuse(status: WitnessRefusal['status'], message: string, size?: bigint): WitnessRefusal {
  return size === undefined ? { ok: false, status, message } : { ok: false, status, message, size };
}

/**
 * Check an add-checkpoint request against the witness's configuration and
 * the stored state of the checkpoint's origin. Pure apart from the
 * signature verification (async WebCrypto).
 * @param getState returns the stored state of an origin (the empty state if never cosigned).
 */
export async function checkAddCheckpoint(
  body: Uint8Array | string,
  logs: ReadonlyMap<string, WitnessLog>,
  getState: (origin: string) => WitnessState,
): Promise<WitnessRefusal | WitnessAcceptance> {
  let req;
  try {
    // Bytes are decoded leniently (as sigsum-go compares bytes): invalid UTF-8
    // can only turn into names that match nothing.
    req = parseAddCheckpointRequest(body, { maxBytes: MAX_ADD_CHECKPOINT_BYTES });
  } catch (e) {
    if (e instanceof SigsumError) return refuse(400, e.message);
    throw e;
  }
  const cp = req.checkpoint;
  const log = logs.get(cp.origin);
  if (log === undefined) return refuse(404, `unknown origin ${JSON.stringify(cp.origin.slice(0, 200))}`);
  try {
    await verifySigsumCheckpoint(cp, log.publicKey);
  } catch (e) {
    if (e instanceof SigsumError) return refuse(403, e.message);
    throw e;
  }
  const expected = getState(cp.origin);
  if (expected.size !== req.oldSize) return refuse(409, `old size ${req.oldSize} does not match witness state ${expected.size}`, expected.size);
  try {
    verifyConsistency(expected.size, cp.size, expected.rootHash, cp.rootHash, req.proof);
  } catch (e) {
    if (e instanceof SigsumError) return refuse(422, e.message);
    throw e;
  }
  return { ok: true, log, expected, next: { size: cp.size, rootHash: cp.rootHash }, logSignature: cp.signature };
}

/**
 * Cosign an accepted tree head and format the 200 response body: one
 * signed-note line `— <key name> base64(keyID || timestamp || signature)`.
 */
export async function cosignatureLine(identity: WitnessIdentity, log: WitnessLog, next: WitnessState, timestamp: bigint): Promise<string> {
  return formatCosignatureLine(await cosignCheckpoint(identity.signer, next, log.origin, timestamp, identity.keyName));
}

/** The response for a refusal: plain text, or `text/x.tlog.size` with the size for 409. */
export function refusalResponse(r: WitnessRefusal): WitnessResponse {
  if (r.status === 409) return { status: 409, contentType: CONTENT_TYPE_TLOG_SIZE, body: formatTlogSize(r.size ?? 0n) };
  return { status: r.status, contentType: 'text/plain; charset=utf-8', body: `${r.message}\n` };
}

/** Input of {@link handleAddCheckpoint}. */
export interface HandleInput {
  /** Stored state of every origin (absent = never cosigned). */
  state: ReadonlyMap<string, WitnessState>;
  /** The request body as received. */
  body: Uint8Array | string;
  /** Unix seconds for the cosignature. */
  timestamp: bigint;
  /** The witness key and its note name. */
  identity: WitnessIdentity;
  /** The logs served, by origin. */
  logs: ReadonlyMap<string, WitnessLog>;
}

/**
 * The whole witness in one pure step: `(state, request, time, key, logs) →
 * (status, body, new state)`. Used by the vector suite; the HTTP server runs
 * the same two halves with an atomic store in between.
 */
export async function handleAddCheckpoint(input: HandleInput): Promise<WitnessResponse & { newState?: { origin: string; state: WitnessState } }> {
  const r = await checkAddCheckpoint(input.body, input.logs, (o) => input.state.get(o) ?? emptyState());
  if (!r.ok) return refusalResponse(r);
  const body = await cosignatureLine(input.identity, r.log, r.next, input.timestamp);
  return { status: 200, contentType: 'text/plain; charset=utf-8', body, newState: { origin: r.log.origin, state: r.next } };
}
