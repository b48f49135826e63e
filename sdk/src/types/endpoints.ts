/**
 * Endpoint names, request paths and URL builders of the Sigsum log API, with
 * the request-path rules sigsum-go's log server applies before looking at its
 * tree (so a log can reject trivial or malformed requests with 400).
 */
import { ParseError } from '../errors.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { MAX_UINT63, parseUint63 } from '../encoding/integer.js';
import { HASH_SIZE } from '../crypto/sha256.js';

/** Endpoint names relative to a log's base URL. */
export const Endpoint = {
  /** POST: submit a leaf. */
  addLeaf: 'add-leaf',
  /** GET: the latest cosigned tree head. */
  getTreeHead: 'get-tree-head',
  /** GET: an inclusion proof (`<size>/<leaf hash>` follow). */
  getInclusionProof: 'get-inclusion-proof/',
  /** GET: a consistency proof (`<old size>/<new size>` follow). */
  getConsistencyProof: 'get-consistency-proof/',
  /** GET: a range of leaves (`<start>/<end>` follow). */
  getLeaves: 'get-leaves/',
  /** GET: a secondary's tree head (internal API). */
  getSecondaryTreeHead: 'get-secondary-tree-head',
  /** POST: a checkpoint to a witness (C2SP tlog-witness). */
  addCheckpoint: 'add-checkpoint',
} as const;

/** One of the {@link Endpoint} names. */
export type EndpointName = (typeof Endpoint)[keyof typeof Endpoint];

/** Parsed `get-inclusion-proof/<size>/<leaf hash>` path. */
export interface InclusionProofRequest {
  /** Tree size (≥ 2: size 0 has no leaves, size 1 needs no proof). */
  readonly size: bigint;
  /** RFC 6962 leaf hash of the leaf. */
  readonly leafHash: Uint8Array;
}

/** Parsed `get-consistency-proof/<old>/<new>` path. */
export interface ConsistencyProofRequest {
  /** Old tree size (≥ 1). */
  readonly oldSize: bigint;
  /** New tree size (> old size). */
  readonly newSize: bigint;
}

/** Parsed `get-leaves/<start>/<end>` path. */
export interface LeavesRequest {
  /** Index of the first leaf. */
  readonly startIndex: bigint;
  /** One past the last leaf wanted (> start). */
  readonly endIndex: bigint;
}

function twoSegments(args: string, what: string): [string, string] {
  const parts = args.split('/');
  if (parts.length !== 2) throw new ParseError('request.path', `expected two path segments <a>/<b>, got ${parts.length}`, what);
  return [parts[0]!, parts[1]!];
}

/**
 * Parse the arguments of `get-inclusion-proof` (`"<size>/<hex leaf hash>"`).
 * @throws ParseError `request.path` (segments), `integer.*`, `hex.*`, or `request.range` when size < 2.
 */
export function parseInclusionProofPath(args: string): InclusionProofRequest {
  const [s, h] = twoSegments(args, 'get-inclusion-proof');
  const size = parseUint63(s, 'size');
  const leafHash = fromHex(h, 'leaf_hash', HASH_SIZE);
  if (size < 2n) throw new ParseError('request.range', `size(${size}) must be larger than one`, 'size');
  return { size, leafHash };
}

/**
 * Parse the arguments of `get-consistency-proof` (`"<old>/<new>"`).
 * @throws ParseError `request.path`, `integer.*`, or `request.range` unless 0 < old < new.
 */
export function parseConsistencyProofPath(args: string): ConsistencyProofRequest {
  const [o, n] = twoSegments(args, 'get-consistency-proof');
  const oldSize = parseUint63(o, 'old_size');
  const newSize = parseUint63(n, 'new_size');
  if (oldSize < 1n) throw new ParseError('request.range', `old_size(${oldSize}) must be larger than zero`, 'old_size');
  if (newSize <= oldSize) throw new ParseError('request.range', `new_size(${newSize}) must be larger than old_size(${oldSize})`, 'new_size');
  return { oldSize, newSize };
}

/**
 * Parse the arguments of `get-leaves` (`"<start>/<end>"`).
 * @throws ParseError `request.path`, `integer.*`, or `request.range` unless start < end.
 */
export function parseLeavesPath(args: string): LeavesRequest {
  const [s, e] = twoSegments(args, 'get-leaves');
  const startIndex = parseUint63(s, 'start_index');
  const endIndex = parseUint63(e, 'end_index');
  if (startIndex >= endIndex) throw new ParseError('request.range', `start_index(${startIndex}) must be less than end_index(${endIndex})`, 'start_index');
  return { startIndex, endIndex };
}

/** `base` + endpoint, inserting a `/` when `base` does not end in one (as sigsum-go's `Endpoint.Path`). */
export function endpointUrl(base: string, endpoint: EndpointName): string {
  return (base.length > 0 && !base.endsWith('/') ? base + '/' : base) + endpoint;
}

function checkUint63(v: bigint, what: string): void {
  if (v < 0n || v > MAX_UINT63) throw new TypeError(`${what} ${v} is outside 0..2^63-1`);
}

/** URL of `get-tree-head`. */
export function getTreeHeadUrl(base: string): string {
  return endpointUrl(base, Endpoint.getTreeHead);
}

/** URL of `add-leaf`. */
export function addLeafUrl(base: string): string {
  return endpointUrl(base, Endpoint.addLeaf);
}

/** URL of `get-inclusion-proof/<size>/<hex leaf hash>`. */
export function getInclusionProofUrl(base: string, req: InclusionProofRequest): string {
  checkUint63(req.size, 'size');
  if (req.leafHash.length !== HASH_SIZE) throw new TypeError(`leaf hash must be ${HASH_SIZE} bytes`);
  return `${endpointUrl(base, Endpoint.getInclusionProof)}${req.size}/${toHex(req.leafHash)}`;
}

/** URL of `get-consistency-proof/<old>/<new>`. */
export function getConsistencyProofUrl(base: string, req: ConsistencyProofRequest): string {
  checkUint63(req.oldSize, 'old size');
  checkUint63(req.newSize, 'new size');
  return `${endpointUrl(base, Endpoint.getConsistencyProof)}${req.oldSize}/${req.newSize}`;
}

/** URL of `get-leaves/<start>/<end>`. */
export function getLeavesUrl(base: string, req: LeavesRequest): string {
  checkUint63(req.startIndex, 'start index');
  checkUint63(req.endIndex, 'end index');
  return `${endpointUrl(base, Endpoint.getLeaves)}${req.startIndex}/${req.endIndex}`;
}
