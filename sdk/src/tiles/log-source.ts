/**
 * The read side of the v1 log API (tree head, consistency proof, leaves)
 * answered from tlog-tiles, so that code written against `LogClient` — the
 * monitor — can follow a log behind a CDN or a static export. The tree head
 * comes from the checkpoint note (signatures are left to the caller's policy
 * check, as with get-tree-head); proofs and leaves come from tiles verified
 * against that checkpoint's root.
 */
import { ParseError } from '../errors.js';
import { toSafeNumber } from '../encoding/integer.js';
import { leafFromBytes, type Leaf } from '../types/leaf.js';
import type { CosignedTreeHead } from '../types/tree-head.js';
import type { ConsistencyProof } from '../types/bodies.js';
import { httpRequest, type RequestOptions } from '../client/http.js';
import { parseCosignedCheckpoint } from './checkpoint.js';
import { TilesClient } from './client.js';
import type { TiledTree } from './tree.js';
import type { Policy } from '../policy/policy.js';

/** Options of {@link TilesLogSource}. */
export interface TilesLogSourceOptions {
  /** Tiles prefix URL (`checkpoint` and `tile/...` are appended). */
  url: string;
  /** The log's public key. */
  logPublicKey: Uint8Array;
  /** The policy: its witnesses' keys recognise cosignature lines. */
  policy: Policy;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  /** Retries per request. */
  retries?: number;
  /** fetch implementation. */
  fetch?: typeof fetch;
}

/** `getTreeHead`, `getConsistencyProof` and `getLeaves` over tiles. */
export class TilesLogSource {
  /** Base URL the tile paths are appended to. */
  readonly url: string;
  readonly #o: TilesLogSourceOptions;
  readonly #client: TilesClient;
  #tree: TiledTree | undefined;

  constructor(options: TilesLogSourceOptions) {
    this.#o = options;
    this.#client = new TilesClient({
      url: options.url,
      policy: options.policy,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.url = this.#client.url;
  }

  /** The checkpoint as a cosigned tree head (not yet checked against a policy). */
  async getTreeHead(opts: RequestOptions = {}): Promise<CosignedTreeHead> {
    const url = this.url + 'checkpoint';
    const res = await httpRequest({
      method: 'GET',
      url,
      maxBodyBytes: 1 << 16,
      ...(this.#o.timeoutMs !== undefined ? { timeoutMs: this.#o.timeoutMs } : {}),
      ...(this.#o.retries !== undefined ? { retries: this.#o.retries } : {}),
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let th: CosignedTreeHead;
    try {
      th = parseCosignedCheckpoint(res.body, this.#o.logPublicKey, this.#o.policy.witnesses.map((w) => w.publicKey)).treeHead;
    } catch (e) {
      if (e instanceof ParseError) throw new ParseError(e.code, `invalid checkpoint: ${e.message}`, url);
      throw e;
    }
    this.#tree = this.#client.tree(toSafeNumber(th.size, 'checkpoint size'), th.rootHash);
    return th;
  }

  #current(size: bigint): TiledTree {
    const t = this.#tree;
    if (t === undefined || BigInt(t.size) < size) throw new TypeError(`no checkpoint of size ≥ ${size} has been read`);
    return t;
  }

  /** Consistency proof from `oldSize` to `newSize`, from the tiles of the last checkpoint read. */
  async getConsistencyProof(oldSize: bigint, newSize: bigint, _opts: RequestOptions = {}): Promise<ConsistencyProof> {
    const path = await this.#current(newSize).consistencyProof(toSafeNumber(oldSize), toSafeNumber(newSize));
    return { path };
  }

  /** Leaves `[start, end)` from entry bundles of the last checkpoint read. */
  async getLeaves(start: bigint, end: bigint, _opts: RequestOptions = {}): Promise<Leaf[]> {
    const entries = await this.#current(end).entries(toSafeNumber(start), toSafeNumber(end));
    return entries.map(leafFromBytes);
  }
}
