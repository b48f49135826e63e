/**
 * Client of a C2SP tlog-witness (`POST <url>/add-checkpoint`) and the
 * log-side retry dance: start from the witness size we believe, and when the
 * witness answers 409 with its real size (`text/x.tlog.size`), retry once
 * with a consistency proof from that size. Isomorphic (ky over fetch).
 */
import { VerificationError } from '../errors.js';
import { bytesEqual, latin1 } from '../encoding/bytes.js';
import { keyHash } from '../crypto/keyhash.js';
import type { Signer } from '../crypto/ed25519.js';
import { treeHeadOrigin, type Cosignature, type SignedTreeHead } from '../types/tree-head.js';
import { SIG_TYPE_COSIGNATURE, keyId } from '../note/keyid.js';
import { logKeyId, parseSigsumCheckpoint, serializeSigsumCheckpoint, type SigsumCheckpoint } from '../note/checkpoint.js';
import { CONTENT_TYPE_TLOG_SIZE, parseTlogSize, serializeAddCheckpointRequest } from '../note/add-checkpoint.js';
import { cosignatureFromLine, parseCosignatureLines, verifyCosignatureLine, type CosignatureLine } from '../note/cosignature.js';
import { HttpError, httpRequest, serverMessage } from './http.js';

/** Default bound on a witness response body: cosignature lines are ~130 bytes each. */
export const DEFAULT_WITNESS_MAX_BODY_BYTES = 64 * 1024;
/** Default per-request timeout for witnesses. */
export const DEFAULT_WITNESS_TIMEOUT_MS = 10_000;

/** Configuration of a {@link WitnessClient}. */
export interface WitnessClientOptions {
  /** The witness's Ed25519 public key: when given, only its cosignature lines (by key ID) are returned. */
  publicKey?: Uint8Array;
  /** Time allowed for one request including the body, in ms (default 10 000). */
  timeoutMs?: number;
  /** Cancels every request of this client. */
  signal?: AbortSignal;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Largest accepted response body (default 64 KiB). */
  maxBodyBytes?: number;
  /** Retries of network failures and 5xx (default 0: the caller decides). */
  retries?: number;
}

/** Input of {@link WitnessClient.addCheckpoint}. */
export interface AddCheckpointInput {
  /** The tree size the witness is believed to have cosigned last. */
  oldSize: bigint;
  /** Consistency proof from `oldSize` to the checkpoint's size (empty when oldSize is 0 or equal). */
  proof: readonly Uint8Array[];
  /**
   * The log's checkpoint, parsed or as its signed note text (which is parsed
   * first: only the log's own signature line is sent, as sigsum-go's log does).
   */
  signedCheckpoint: SigsumCheckpoint | string;
}

/** The witness answered 409: it has cosigned a different size than the request's old size. */
export class WitnessConflictError extends HttpError {
  /** The witness's current size for this log. */
  readonly witnessSize: bigint;
  constructor(url: string, witnessSize: bigint) {
    super(409, url, `witness is at size ${witnessSize}`);
    this.witnessSize = witnessSize;
  }
}

/** Format an add-checkpoint request body. */
function addCheckpointBody(input: AddCheckpointInput): string {
  const cp = input.signedCheckpoint;
  const checkpoint = typeof cp === 'string' ? parseSigsumCheckpoint(cp) : cp;
  return serializeAddCheckpointRequest({ oldSize: input.oldSize, proof: input.proof, checkpoint });
}

/** A client of one witness. */
export class WitnessClient {
  /** The witness's base URL (the endpoint is `${url}/add-checkpoint`). */
  readonly url: string;
  /** The witness public key, if known. */
  readonly publicKey: Uint8Array | undefined;
  readonly #options: WitnessClientOptions;

  constructor(url: string, options: WitnessClientOptions = {}) {
    if (!/^https?:\/\//i.test(url)) throw new TypeError(`witness URL must be http(s): ${JSON.stringify(url)}`);
    this.url = url.replace(/\/+$/, '');
    this.#options = options;
    this.publicKey = options.publicKey;
  }

  /**
   * Ask the witness to cosign a checkpoint.
   * @returns the cosignature lines of the response (only the configured key's, when a public key was given).
   * @throws WitnessConflictError on 409 with a size body; HttpError (with the witness's message) on any other non-200;
   *   NetworkError on timeouts, connection failures and oversized bodies; ParseError on a malformed 200 body.
   */
  async addCheckpoint(input: AddCheckpointInput, options: { signal?: AbortSignal } = {}): Promise<CosignatureLine[]> {
    const url = `${this.url}/add-checkpoint`;
    const o = this.#options;
    const signal = options.signal ?? o.signal;
    const res = await httpRequest({
      method: 'POST',
      url,
      body: addCheckpointBody(input),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      okStatuses: [200, 409],
      retries: o.retries ?? 0,
      timeoutMs: o.timeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS,
      maxBodyBytes: o.maxBodyBytes ?? DEFAULT_WITNESS_MAX_BODY_BYTES,
      ...(signal ? { signal } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    if (res.status === 409) {
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      // Without the size media type a 409 is just an error with a message.
      if (type !== CONTENT_TYPE_TLOG_SIZE) throw new HttpError(409, url, serverMessage(res.body));
      throw new WitnessConflictError(url, parseTlogSize(latin1(res.body)));
    }
    const lines = parseCosignatureLines(res.body, { maxBytes: o.maxBodyBytes ?? DEFAULT_WITNESS_MAX_BODY_BYTES });
    const key = this.publicKey;
    // As sigsum-go's VerifyCosignatureByKey: a line is the key's when its key ID
    // is keyId(<its key name>, 0x04, key), whatever name the witness uses.
    return key === undefined ? lines : lines.filter((l) => bytesEqual(l.keyId, keyId(l.keyName, SIG_TYPE_COSIGNATURE, key)));
  }
}

/** The log's checkpoint (origin, key ID, signature) of a signed tree head. */
export function sigsumCheckpointOf(sth: SignedTreeHead, logPublicKey: Uint8Array): SigsumCheckpoint {
  const origin = treeHeadOrigin(keyHash(logPublicKey));
  return { size: sth.size, rootHash: sth.rootHash, signature: sth.signature, origin, keyId: logKeyId(origin, logPublicKey) };
}

/** The log's signed checkpoint note of a signed tree head. */
export function signedCheckpointNote(sth: SignedTreeHead, logPublicKey: Uint8Array): string {
  return serializeSigsumCheckpoint(sigsumCheckpointOf(sth, logPublicKey));
}

/** Input of {@link addCheckpointWithRetry}. */
export interface AddCheckpointWithRetryInput {
  /** The signed tree head to get cosigned. */
  sth: SignedTreeHead;
  /** The log's public key (for the checkpoint's key ID); or give `logSigner`. */
  logPublicKey?: Uint8Array;
  /** The log's signer; only its public key is used. */
  logSigner?: Signer;
  /** If given, must equal the hash of the log key (guards against mixing up logs). */
  logKeyHash?: Uint8Array;
  /** The witness size we believe (default 0: unknown; a 409 corrects it). */
  knownSize?: bigint;
  /** A consistency proof between two sizes of the log (never called for old size 0 or old = new). */
  consistencyProof: (oldSize: bigint, newSize: bigint) => readonly Uint8Array[] | Promise<readonly Uint8Array[]>;
  /** Cancels the requests. */
  signal?: AbortSignal;
}

/** Result of {@link addCheckpointWithRetry}. */
export interface AddCheckpointWithRetryResult {
  /** Cosignatures by the client's witness key that verify against `sth`. */
  cosignatures: Cosignature[];
  /** The witness's size now (= sth.size): the next `knownSize`. */
  witnessSize: bigint;
  /** Whether a 409 made us retry. */
  retried: boolean;
}

/**
 * Get a tree head cosigned by one witness: send it with a proof from
 * `knownSize`; on 409 read the witness's size and retry once from there.
 * The client must know the witness public key: returned cosignatures are
 * verified against it.
 * @throws VerificationError `witness.no-cosignature` / `witness.bad-cosignature`,
 *   VerificationError `witness.ahead` when the witness is past `sth.size`,
 *   and whatever {@link WitnessClient.addCheckpoint} throws (a second 409 included).
 */
export async function addCheckpointWithRetry(client: WitnessClient, input: AddCheckpointWithRetryInput): Promise<AddCheckpointWithRetryResult> {
  const witnessKey = client.publicKey;
  if (witnessKey === undefined) throw new TypeError('addCheckpointWithRetry needs a WitnessClient with a publicKey');
  const logPublicKey = input.logPublicKey ?? input.logSigner?.publicKey;
  if (logPublicKey === undefined) throw new TypeError('addCheckpointWithRetry needs logPublicKey or logSigner');
  const logHash = keyHash(logPublicKey);
  if (input.logKeyHash !== undefined && !bytesEqual(input.logKeyHash, logHash)) throw new TypeError('logKeyHash does not match the log public key');
  const { sth } = input;
  const checkpoint = sigsumCheckpointOf(sth, logPublicKey);
  const attempt = async (oldSize: bigint): Promise<CosignatureLine[]> => {
    if (oldSize > sth.size) {
      throw new VerificationError('witness.ahead', `witness is at size ${oldSize}, beyond the tree head's size ${sth.size}`, client.url);
    }
    const proof = oldSize === 0n || oldSize === sth.size ? [] : await input.consistencyProof(oldSize, sth.size);
    return client.addCheckpoint({ oldSize, proof, signedCheckpoint: checkpoint }, input.signal ? { signal: input.signal } : {});
  };
  let retried = false;
  let lines: CosignatureLine[];
  const known = input.knownSize ?? 0n;
  try {
    lines = await attempt(known > sth.size ? 0n : known);
  } catch (e) {
    if (!(e instanceof WitnessConflictError)) throw e;
    retried = true;
    lines = await attempt(e.witnessSize);
  }
  const cosignatures: Cosignature[] = [];
  for (const l of lines) {
    if (!(await verifyCosignatureLine(l, witnessKey, sth, checkpoint.origin))) {
      throw new VerificationError('witness.bad-cosignature', 'cosignature does not verify with the witness key', client.url);
    }
    cosignatures.push(cosignatureFromLine(l, witnessKey));
  }
  if (cosignatures.length === 0) throw new VerificationError('witness.no-cosignature', 'response has no cosignature by the witness key', client.url);
  return { cosignatures, witnessSize: sth.size, retried };
}
