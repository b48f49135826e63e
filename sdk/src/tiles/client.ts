/**
 * Reading a Sigsum log through C2SP tlog-tiles (from the log itself, a
 * static export behind nginx, or a CDN): the checkpoint is verified under a
 * policy exactly as a cosigned tree head (log signature, witness
 * cosignatures, quorum), and every tile and entry bundle is verified against
 * its root before use (see {@link TiledTree}). Isomorphic (ky over fetch).
 */
import { ParseError, VerificationError } from '../errors.js';
import { fromHex } from '../encoding/hex.js';
import { toSafeNumber } from '../encoding/integer.js';
import { CHECKPOINT_ORIGIN_PREFIX, type CosignedTreeHead } from '../types/tree-head.js';
import { verifyCosignedTreeHead, type CosignedTreeHeadResult } from '../policy/verify.js';
import type { Policy, PolicyLog } from '../policy/policy.js';
import { HttpError, httpRequest, type RequestOptions } from '../client/http.js';
import { parseCosignedCheckpoint } from './checkpoint.js';
import { TiledTree } from './tree.js';
import { TILE_WIDTH, formatTilePath, type TileRef } from './path.js';

/** Most tile bodies kept by default (≈ 2–8 MiB). */
export const DEFAULT_TILE_CACHE = 256;
/** Largest checkpoint accepted. */
const MAX_CHECKPOINT_BYTES = 1 << 16;
/** Largest tile or bundle body: a full bundle of 256 entries of up to 64 KiB would be 16 MiB; Sigsum's is 33 280 bytes. */
const MAX_TILE_BYTES = 256 * (2 + 0xffff);

/** Configuration of a {@link TilesClient}. */
export interface TilesClientOptions extends RequestOptions {
  /** The tiles prefix URL, ending in `/` (`checkpoint` and `tile/...` are appended). */
  url: string;
  /** Trust policy: the log and the witnesses whose cosignatures count, and the quorum. */
  policy: Policy;
  /** Key hash of the log (hex or bytes); default: read from the checkpoint's origin. */
  logKeyHash?: Uint8Array | string;
  /** Most tile bodies to cache (default {@link DEFAULT_TILE_CACHE}). */
  tileCache?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Ask for gzip-compressed tiles and bundles (default false). Tiles are
   * hashes and a Sigsum entry is three quarters hashes and signatures, so
   * gzip saves at most about a quarter of the bytes and costs the reader more
   * CPU than the whole verification (docs/benchmarks.md, "Tiles"). Browsers
   * choose the encoding themselves and ignore this.
   */
  gzip?: boolean;
}

/** A checkpoint that passed the policy, with its tree read through tiles. */
export interface VerifiedCheckpoint {
  /** The note exactly as served. */
  readonly note: string;
  /** The cosigned tree head it carries (recognised cosignatures only). */
  readonly treeHead: CosignedTreeHead;
  /** Tree size as a number. */
  readonly size: number;
  /** The policy verdict (which witnesses verified). */
  readonly verification: CosignedTreeHeadResult;
  /** The tree of this checkpoint, read through tiles. */
  readonly tree: TiledTree;
}

/** A client reading one Sigsum log through tiles. */
export class TilesClient {
  /** Base URL the tile paths are appended to. */
  readonly url: string;
  readonly #options: TilesClientOptions;
  readonly #cache = new Map<string, Promise<Uint8Array>>();
  readonly #cacheSize: number;

  constructor(options: TilesClientOptions) {
    if (!/^https?:\/\//i.test(options.url)) throw new TypeError(`tiles URL must be http(s): ${JSON.stringify(options.url)}`);
    this.url = options.url.endsWith('/') ? options.url : options.url + '/';
    this.#options = options;
    this.#cacheSize = options.tileCache ?? DEFAULT_TILE_CACHE;
  }

  async #get(path: string, maxBodyBytes: number, okStatuses?: number[]): Promise<{ status: number; body: Uint8Array }> {
    const o = this.#options;
    return httpRequest({
      method: 'GET',
      url: this.url + path,
      retries: o.retries,
      backoffMs: o.backoffMs,
      maxBackoffMs: o.maxBackoffMs,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
      maxBodyBytes,
      // Node's fetch asks for gzip unless told otherwise; browsers drop this header and choose.
      ...(o.gzip === true ? {} : { headers: { 'accept-encoding': 'identity' } }),
      ...(okStatuses ? { okStatuses } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
  }

  #log(note: string): PolicyLog {
    const policy = this.#options.policy;
    let kh = this.#options.logKeyHash;
    if (kh === undefined) {
      const origin = note.slice(0, note.indexOf('\n'));
      if (!origin.startsWith(CHECKPOINT_ORIGIN_PREFIX)) throw new ParseError('tiles.checkpoint-origin', `origin ${JSON.stringify(origin.slice(0, 100))} is not a Sigsum log's`, this.url + 'checkpoint');
      kh = fromHex(origin.slice(CHECKPOINT_ORIGIN_PREFIX.length), 'origin key hash', 32);
    }
    const log = policy.findLog(kh);
    if (log === undefined) throw new VerificationError('tiles.checkpoint-unknown-log', 'the checkpoint is not from a log of the policy', this.url + 'checkpoint');
    return log;
  }

  /**
   * Fetch the checkpoint and verify it under the policy (log signature,
   * cosignatures of the policy's witnesses, quorum).
   * @throws ParseError for a malformed note; VerificationError
   *   `tiles.checkpoint-origin`, `tiles.checkpoint-log-signature`,
   *   `tiles.checkpoint-unknown-log`, or `tiles.checkpoint-<failure>` for the
   *   policy's verdict (`log-signature`, `quorum`, `duplicate-cosignature`);
   *   HttpError / NetworkError.
   */
  async checkpoint(): Promise<VerifiedCheckpoint> {
    const where = this.url + 'checkpoint';
    const res = await this.#get('checkpoint', MAX_CHECKPOINT_BYTES);
    let note: string;
    try {
      note = new TextDecoder('utf-8', { fatal: true }).decode(res.body);
    } catch {
      throw new ParseError('note.utf8', 'checkpoint is not valid UTF-8', where);
    }
    const log = this.#log(note);
    const policy = this.#options.policy;
    let parsed;
    try {
      parsed = parseCosignedCheckpoint(note, log.publicKey, policy.witnesses.map((w) => w.publicKey));
    } catch (e) {
      if (e instanceof ParseError) throw new ParseError(e.code, `invalid checkpoint: ${e.message}`, where);
      throw e;
    }
    const verification = await verifyCosignedTreeHead(policy, log.keyHash, parsed.treeHead);
    if (!verification.ok) throw new VerificationError(`tiles.checkpoint-${verification.failure}`, verification.message!, where);
    const size = toSafeNumber(parsed.treeHead.size, 'checkpoint size');
    return { note, treeHead: parsed.treeHead, size, verification, tree: this.tree(size, parsed.treeHead.rootHash) };
  }

  /** The tree of a (verified) size and root, read through this client's tiles and cache. */
  tree(size: number, rootHash: Uint8Array): TiledTree {
    return new TiledTree(size, rootHash, (t) => this.fetchTile(t));
  }

  /**
   * The body of a tile or entry bundle (unverified; cached). A partial one the
   * server no longer has (404) is cut from the full one, as the spec allows.
   */
  fetchTile(t: TileRef): Promise<Uint8Array> {
    const path = formatTilePath(t);
    const hit = this.#cache.get(path);
    if (hit !== undefined) {
      // Most recently used last.
      this.#cache.delete(path);
      this.#cache.set(path, hit);
      return hit;
    }
    const p = this.#fetchUncached(t, path);
    this.#cache.set(path, p);
    p.catch(() => this.#cache.delete(path));
    while (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    return p;
  }

  async #fetchUncached(t: TileRef, path: string): Promise<Uint8Array> {
    try {
      return (await this.#get(path, MAX_TILE_BYTES)).body;
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 404 && t.width < TILE_WIDTH)) throw e;
    }
    const full = (await this.#get(formatTilePath({ ...t, width: TILE_WIDTH }), MAX_TILE_BYTES)).body;
    return prefixOf(full, t);
  }
}

// The first `width` hashes or entries of a full tile or bundle.
function prefixOf(full: Uint8Array, t: TileRef): Uint8Array {
  if (!t.entries) return full.subarray(0, Math.min(full.length, t.width * 32));
  let off = 0;
  for (let i = 0; i < t.width && off + 2 <= full.length; i++) off += 2 + ((full[off]! << 8) | full[off + 1]!);
  return full.subarray(0, Math.min(off, full.length));
}

/**
 * Check that `newer` (a verified tree) extends the older tree head `older`:
 * the root of its first `older.size` leaves, computed from verified tiles,
 * must be `older.rootHash`.
 * @throws VerificationError `tiles.inconsistent` (a fork or rollback), `tiles.rollback` when newer is smaller.
 */
export async function checkTilesConsistency(older: { size: number; rootHash: Uint8Array }, newer: TiledTree): Promise<void> {
  if (older.size > newer.size) throw new VerificationError('tiles.rollback', `new checkpoint size ${newer.size} is below the previous ${older.size}`, 'checkpoint');
  const root = await newer.rootAt(older.size);
  let d = root.length ^ older.rootHash.length;
  for (let i = 0; i < root.length && i < older.rootHash.length; i++) d |= root[i]! ^ older.rootHash[i]!;
  if (d !== 0) throw new VerificationError('tiles.inconsistent', `the tree of size ${newer.size} does not extend the previous tree of size ${older.size}`, 'checkpoint');
}
