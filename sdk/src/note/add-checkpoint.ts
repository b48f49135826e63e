/**
 * C2SP tlog-witness `add-checkpoint`: the request body
 * (`old <size>`, 0..63 base64 consistency-proof lines, a blank line, the
 * checkpoint note) parsed exactly as sigsum-go's `requests.AddCheckpoint`,
 * and the 409 `text/x.tlog.size` body.
 *
 * Every failure here is a {@link ParseError}: a witness answers 400 to all of
 * them (including old size > checkpoint size and a proof that is present when
 * it must be empty or missing when it is needed). 403/404/409/422 come from
 * the witness's own checks (see {@link verifySigsumCheckpoint}).
 */
import { ParseError } from '../errors.js';
import { fromBase64Go, toBase64 } from '../encoding/base64.js';
import { MAX_UINT63, parseUint63 } from '../encoding/integer.js';
import { HASH_SIZE } from '../crypto/sha256.js';
import { MAX_PROOF_HASHES } from '../types/bodies.js';
import { noteReader, readSigsumCheckpoint, serializeSigsumCheckpoint, type SigsumCheckpoint } from './checkpoint.js';

/** Content type of a 409 response body carrying the witness's size. */
export const CONTENT_TYPE_TLOG_SIZE = 'text/x.tlog.size';
/** Default bound on an add-checkpoint request body. */
export const DEFAULT_MAX_ADD_CHECKPOINT_BYTES = 1 << 16;

/** A parsed add-checkpoint request. */
export interface AddCheckpointRequest {
  /** The size the log believes the witness has. */
  readonly oldSize: bigint;
  /** Consistency proof from oldSize to the checkpoint's size (empty when oldSize is 0 or equal). */
  readonly proof: readonly Uint8Array[];
  /** The log's signed checkpoint. */
  readonly checkpoint: SigsumCheckpoint;
}

/**
 * Parse an add-checkpoint request body.
 * @throws ParseError (all → HTTP 400): `add-checkpoint.old-line`, `add-checkpoint.proof`,
 *   `add-checkpoint.old-size`, `ascii.*`, `integer.*`, `base64.*`, `checkpoint.*`, `note.*`.
 */
export function parseAddCheckpointRequest(body: string | Uint8Array, options: { maxBytes?: number } = {}): AddCheckpointRequest {
  const r = noteReader(body, options.maxBytes ?? DEFAULT_MAX_ADD_CHECKPOINT_BYTES);
  const first = r.line('old line');
  if (!first.startsWith('old ')) throw new ParseError('add-checkpoint.old-line', `invalid old line ${JSON.stringify(first.slice(0, 80))}`, 'line 1');
  const oldSize = parseUint63(first.slice(4), 'line 1 (old)');
  const proof: Uint8Array[] = [];
  for (;;) {
    if (r.atEnd()) throw new ParseError('add-checkpoint.proof', 'missing empty line after the consistency proof', `line ${r.lineNumber}`);
    const where = `line ${r.lineNumber}`;
    const line = r.line('proof line');
    if (line === '') break;
    if (proof.length >= MAX_PROOF_HASHES) throw new ParseError('add-checkpoint.proof', `more than ${MAX_PROOF_HASHES} consistency proof lines`, where);
    proof.push(fromBase64Go(line, where, HASH_SIZE));
  }
  const checkpoint = readSigsumCheckpoint(r);
  if (oldSize > checkpoint.size) {
    throw new ParseError('add-checkpoint.old-size', `old size ${oldSize} is larger than checkpoint size ${checkpoint.size}`, 'line 1 (old)');
  }
  if (oldSize === checkpoint.size || oldSize === 0n) {
    if (proof.length > 0) throw new ParseError('add-checkpoint.proof', 'expected an empty consistency proof', 'line 2');
  } else if (proof.length === 0) {
    throw new ParseError('add-checkpoint.proof', 'consistency proof missing', 'line 2');
  }
  return { oldSize, proof, checkpoint };
}

/** Serialize an add-checkpoint request body. */
export function serializeAddCheckpointRequest(req: AddCheckpointRequest): string {
  if (req.oldSize < 0n || req.oldSize > MAX_UINT63) throw new TypeError('old size outside 0..2^63-1');
  if (req.proof.length > MAX_PROOF_HASHES) throw new TypeError(`at most ${MAX_PROOF_HASHES} proof hashes`);
  for (const h of req.proof) if (h.length !== HASH_SIZE) throw new TypeError(`proof hashes are ${HASH_SIZE} bytes`);
  return `old ${req.oldSize}\n` + req.proof.map((h) => toBase64(h) + '\n').join('') + '\n' + serializeSigsumCheckpoint(req.checkpoint);
}

/** Format a 409 body: the witness's current size in decimal and a newline. */
export function formatTlogSize(size: bigint): string {
  if (size < 0n || size > MAX_UINT63) throw new TypeError('size outside 0..2^63-1');
  return `${size}\n`;
}

/**
 * Parse a 409 `text/x.tlog.size` body: a decimal size and a newline.
 * @throws ParseError `tlog-size.syntax` or `integer.*`.
 */
export function parseTlogSize(body: string): bigint {
  if (body.length > 32 || !body.endsWith('\n')) throw new ParseError('tlog-size.syntax', 'expected a decimal size and a newline', 'body');
  return parseUint63(body.slice(0, -1), 'body');
}
