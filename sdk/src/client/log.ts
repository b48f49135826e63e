/**
 * Client of the five Sigsum log endpoints. Responses are parsed strictly with
 * the body codecs of `types/`; anything malformed is a ParseError naming the
 * URL. Isomorphic (ky over the global fetch).
 */
import { ParseError, SigsumError } from '../errors.js';
import { latin1 } from '../encoding/bytes.js';
import { HASH_SIZE } from '../crypto/sha256.js';
import type { CosignedTreeHead } from '../types/tree-head.js';
import type { Leaf } from '../types/leaf.js';
import {
  parseConsistencyProofBody,
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseLeavesBody,
  serializeAddLeafRequest,
  type AddLeafRequest,
  type ConsistencyProof,
  type InclusionProof,
} from '../types/bodies.js';
import { addLeafUrl, getConsistencyProofUrl, getInclusionProofUrl, getLeavesUrl, getTreeHeadUrl } from '../types/endpoints.js';
import { httpRequest, type HttpResponse, type RequestOptions } from './http.js';

/** Name of the request header carrying a submit token. */
export const SUBMIT_TOKEN_HEADER = 'sigsum-token';

/** Configuration of a {@link LogClient}. */
export interface LogClientOptions extends RequestOptions {
  /** The log's base URL, e.g. `https://log.example.org/` (endpoint names are appended). */
  url: string;
  /** A `User-Agent` header (omitted by default: in browsers it forces a CORS preflight). */
  userAgent?: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Largest accepted response body (default 4 MiB). */
  maxBodyBytes?: number;
}

/** Options of {@link LogClient.addLeaf}. */
export interface AddLeafOptions extends RequestOptions {
  /** Value of the `sigsum-token` header (`<domain> <hex signature>`), when the log rate-limits. */
  token?: string;
}

/** Outcome of an add-leaf request. */
export type AddLeafResult = 'accepted' | 'persisted';

/** A client of one Sigsum log. */
export class LogClient {
  /** The log's base URL (ends in `/`). */
  readonly url: string;
  readonly #options: LogClientOptions;

  constructor(options: LogClientOptions) {
    if (!/^https?:\/\//i.test(options.url)) throw new TypeError(`log URL must be http(s): ${JSON.stringify(options.url)}`);
    this.url = options.url;
    this.#options = options;
  }

  async #get(url: string, opts: RequestOptions | undefined): Promise<HttpResponse> {
    return this.#send({ method: 'GET', url }, opts);
  }

  #send(req: { method: 'GET' | 'POST'; url: string; body?: string; headers?: Record<string, string>; okStatuses?: number[] }, opts: RequestOptions | undefined): Promise<HttpResponse> {
    const o = this.#options;
    const headers: Record<string, string> = { ...req.headers };
    if (o.userAgent !== undefined) headers['user-agent'] = o.userAgent;
    return httpRequest({
      retries: o.retries,
      backoffMs: o.backoffMs,
      maxBackoffMs: o.maxBackoffMs,
      retryAccepted: o.retryAccepted,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
      ...stripUndefined(opts),
      ...req,
      headers,
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.maxBodyBytes !== undefined ? { maxBodyBytes: o.maxBodyBytes } : {}),
    });
  }

  /** `get-tree-head`: the latest cosigned tree head (signatures are not checked here; see the policy module). */
  async getTreeHead(opts?: RequestOptions): Promise<CosignedTreeHead> {
    const url = getTreeHeadUrl(this.url);
    const res = await this.#get(url, opts);
    return parseBody(url, () => parseCosignedTreeHeadBody(res.body));
  }

  /**
   * `get-inclusion-proof/<size>/<leaf hash>`. For size 1 no request is made
   * (the proof is empty, as in sigsum-go); size 0 has no leaves.
   * @throws HttpError with status 404 when the leaf is not in the tree.
   */
  async getInclusionProof(size: bigint, leafHash: Uint8Array, opts?: RequestOptions): Promise<InclusionProof> {
    if (leafHash.length !== HASH_SIZE) throw new TypeError(`leaf hash must be ${HASH_SIZE} bytes`);
    if (size === 0n) throw new SigsumError('client.empty-tree', 'an empty tree has no inclusion proofs', 'get-inclusion-proof');
    if (size === 1n) return { leafIndex: 0n, path: [] };
    const url = getInclusionProofUrl(this.url, { size, leafHash });
    const res = await this.#get(url, opts);
    const proof = parseBody(url, () => parseInclusionProofBody(res.body));
    if (proof.leafIndex >= size) throw new ParseError('client.leaf-index', `leaf index ${proof.leafIndex} is not below tree size ${size}`, url);
    return proof;
  }

  /** `get-consistency-proof/<old>/<new>`; empty without a request when old is 0 or equals new. */
  async getConsistencyProof(oldSize: bigint, newSize: bigint, opts?: RequestOptions): Promise<ConsistencyProof> {
    if (oldSize > newSize) throw new TypeError(`old size ${oldSize} exceeds new size ${newSize}`);
    if (oldSize === 0n || oldSize === newSize) return { path: [] };
    const url = getConsistencyProofUrl(this.url, { oldSize, newSize });
    const res = await this.#get(url, opts);
    return parseBody(url, () => parseConsistencyProofBody(res.body));
  }

  /**
   * `get-leaves/<start>/<end>`: between 1 and end − start leaves starting at
   * `start` (a log may return fewer than asked).
   */
  async getLeaves(startIndex: bigint, endIndex: bigint, opts?: RequestOptions): Promise<Leaf[]> {
    if (startIndex >= endIndex) throw new TypeError(`start index ${startIndex} must be below end index ${endIndex}`);
    const url = getLeavesUrl(this.url, { startIndex, endIndex });
    const res = await this.#get(url, opts);
    const span = endIndex - startIndex;
    const maxCount = span > 1_000_000n ? 1_000_000 : Number(span);
    return parseBody(url, () => parseLeavesBody(res.body, { maxCount, maxBytes: this.#options.maxBodyBytes ?? 4 << 20 }));
  }

  /**
   * `add-leaf`. 202 means accepted but not yet in a tree head the log will
   * publish; 200 means it will be in the next one (sigsum-go's "persisted").
   * @throws HttpError 400 (bad request), 403 (bad signature), 429 (rate limited), …
   */
  async addLeaf(req: AddLeafRequest, opts: AddLeafOptions = {}): Promise<AddLeafResult> {
    const { token, ...rest } = opts;
    const url = addLeafUrl(this.url);
    const res = await this.#send(
      {
        method: 'POST',
        url,
        body: serializeAddLeafRequest(req),
        headers: token === undefined ? {} : { [SUBMIT_TOKEN_HEADER]: token },
        okStatuses: rest.retryAccepted === true ? [200] : [200, 202],
      },
      rest,
    );
    if (res.status === 200 && res.body.length > 0) {
      throw new ParseError('client.add-leaf-body', `unexpected response body ${JSON.stringify(latin1(res.body.subarray(0, 80)))}`, url);
    }
    return res.status === 200 ? 'persisted' : 'accepted';
  }
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (o === undefined) return out;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Run a body parser, prefixing its error's `where` with the URL so the log is named. */
function parseBody<T>(url: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError(e.code, `invalid response: ${e.message}`, url);
    throw e;
  }
}
