/**
 * A Merkle tree of known size and root read through tiles, where every hash
 * is verified against that root before it is used:
 *
 * - the partial tiles of the size (one per level at most) must hash, through
 *   the tree's right border, to the root;
 * - a full tile must hash to its entry in the tile one level up, itself
 *   verified the same way (this ends at a partial tile);
 * - an entry bundle must hash to the level-0 hashes it stands for: a full
 *   bundle to its entry in a level-1 tile, a partial one to the partial
 *   level-0 tile.
 *
 * A server that lies about any byte is caught with a {@link TileVerificationError}
 * naming the resource. Proofs are then computed by the same proof code the
 * log uses (merkle/prove.ts) over the verified hashes.
 */
import { OutOfRangeError, VerificationError } from '../errors.js';
import { emptyRootCopy, equal32, nodeHash } from '../merkle/internal.js';
import { HASH_SIZE, sha256 } from '../crypto/sha256.js';
import { borderPositions, consistencyProof, inclusionProof, treeRoot, type NodeReader } from '../merkle/prove.js';
import { nodeInTile, partialTileWidth, tileInTree, tileLevels } from './coords.js';
import { parseEntryBundle, parseTileHashes, subtreeHash } from './encoding.js';
import { TILE_HEIGHT, TILE_WIDTH, formatTilePath, type TileRef } from './path.js';

/** Fetches the body of one tile or entry bundle (the caller handles HTTP, caching and fallbacks). */
export type TileFetcher = (tile: TileRef) => Promise<Uint8Array>;

/** A tile server answered with bytes that do not match the verified tree. */
export class TileVerificationError extends VerificationError {}

const DUMMY = new Uint8Array(HASH_SIZE);
// RFC 6962 leaf hash domain separation: H(0x00 ‖ leaf).
const LEAF_HASH_PREFIX = 0x00;

function key(t: { level: number; index: number }): string {
  return `${t.level}/${t.index}`;
}

/** A tree of `size` leaves with root `rootHash` (from a verified checkpoint), read through tiles. */
export class TiledTree {
  /** Number of leaves. */
  readonly size: number;
  /** The root all hashes are verified against. */
  readonly rootHash: Uint8Array;
  readonly #fetch: TileFetcher;
  // Verified tiles by "level/index", each as its pyramid of perfect subtrees (see pyramid()).
  readonly #verified = new Map<string, Uint8Array[][]>();
  #partialsVerified: Promise<void> | undefined;

  /**
   * @param size tree size of the checkpoint (a safe integer).
   * @param rootHash its root hash.
   * @param fetchTile source of tile bodies.
   */
  constructor(size: number, rootHash: Uint8Array, fetchTile: TileFetcher) {
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError(`tree size must be a safe non-negative integer, got ${size}`);
    if (rootHash.length !== HASH_SIZE) throw new TypeError('root hash must be 32 bytes');
    this.size = size;
    this.rootHash = rootHash.slice();
    this.#fetch = fetchTile;
  }

  async #body(t: TileRef): Promise<Uint8Array> {
    return this.#fetch(t);
  }

  // Fetch every partial tile of the size and check that they make up the root.
  #verifyPartials(): Promise<void> {
    this.#partialsVerified ??= (async () => {
      if (this.size === 0) {
        if (!equal32(this.rootHash, emptyRootCopy())) throw new TileVerificationError('tiles.root-mismatch', 'the checkpoint of the empty tree does not carry the empty root', 'checkpoint');
        return;
      }
      const partials: TileRef[] = [];
      for (let level = 0; level < tileLevels(this.size); level++) {
        const w = partialTileWidth(this.size, level);
        if (w > 0) partials.push(tileInTree(this.size, level, Math.floor(this.size / TILE_WIDTH ** (level + 1)), false));
      }
      const bodies = await Promise.all(partials.map((t) => this.#body(t)));
      const hashes = new Map<string, Uint8Array[][]>();
      partials.forEach((t, i) => hashes.set(key(t), pyramid(parseTileHashes(bodies[i]!, t.width, formatTilePath(t)))));
      // The border nodes all lie in partial tiles; fold them into the root.
      const reader: NodeReader = { getNode: (level, index) => nodeFrom(hashes, level, index) };
      const root = treeRoot(this.size, reader);
      if (!equal32(root, this.rootHash)) {
        throw new TileVerificationError('tiles.root-mismatch', `the partial tiles (${partials.map(formatTilePath).join(', ')}) do not hash to the checkpoint's root of size ${this.size}`, 'tiles');
      }
      for (const [k, v] of hashes) this.#verified.set(k, v);
    })();
    return this.#partialsVerified;
  }

  /**
   * Fetch and verify the tiles holding the given Merkle nodes (all perfect
   * subtrees of this tree), in parallel.
   * @throws TileVerificationError, ParseError for malformed bodies, or what the fetcher throws.
   */
  async loadNodes(positions: readonly { level: number; index: number }[]): Promise<void> {
    await this.#verifyPartials();
    const need = new Map<string, TileRef>();
    for (const p of positions) {
      const at = nodeInTile(p.level, p.index);
      let t = tileInTree(this.size, at.tileLevel, at.tileIndex);
      // Walk up until a verified tile: each full tile is checked against its parent's entry.
      while (!this.#verified.has(key(t)) && !need.has(key(t))) {
        need.set(key(t), t);
        t = tileInTree(this.size, t.level + 1, Math.floor(t.index / TILE_WIDTH));
      }
    }
    const tiles = [...need.values()];
    const bodies = await Promise.all(tiles.map((t) => this.#body(t)));
    const parsed = new Map<string, Uint8Array[]>();
    tiles.forEach((t, i) => parsed.set(key(t), parseTileHashes(bodies[i]!, t.width, formatTilePath(t))));
    // Top down: a tile's parent is verified before the tile.
    tiles.sort((a, b) => b.level - a.level);
    for (const t of tiles) {
      const parent = this.#verified.get(key({ level: t.level + 1, index: Math.floor(t.index / TILE_WIDTH) }))!;
      const want = parent[0]![t.index % TILE_WIDTH]!;
      const hashes = pyramid(parsed.get(key(t))!);
      if (!equal32(hashes[TILE_HEIGHT]![0]!, want)) {
        throw new TileVerificationError('tiles.tile-mismatch', 'tile does not hash to its entry in the tile above', formatTilePath(t));
      }
      this.#verified.set(key(t), hashes);
    }
  }

  /**
   * A verified node already loaded ({@link loadNodes}); the synchronous
   * reader the proof functions use.
   */
  getNode(level: number, index: number): Uint8Array {
    // A copy: callers own what they get (the proof arrays handed out).
    return nodeFrom(this.#verified, level, index).slice();
  }

  // Run a proof function once with placeholder hashes to learn which nodes it reads.
  async #withNodes<T>(compute: (reader: NodeReader) => T): Promise<T> {
    const positions: { level: number; index: number }[] = [];
    compute({
      getNode: (level, index) => {
        positions.push({ level, index });
        return DUMMY;
      },
    });
    await this.loadNodes(positions);
    return compute(this);
  }

  /** The root computed from the tiles (equal to {@link rootHash} once verified). */
  async root(): Promise<Uint8Array> {
    await this.loadNodes(borderPositions(this.size));
    return treeRoot(this.size, this);
  }

  /** Leaf hash at `index` (verified). */
  async leafHash(index: number): Promise<Uint8Array> {
    this.#checkIndex(index, this.size);
    await this.loadNodes([{ level: 0, index }]);
    return this.getNode(0, index).slice();
  }

  /**
   * Inclusion proof of leaf `index` in the tree of the first `size` leaves
   * (default: this tree), leaf-to-root as the v1 API serves it.
   */
  async inclusionProof(index: number, size: number = this.size): Promise<Uint8Array[]> {
    this.#checkIndex(size, this.size + 1);
    this.#checkIndex(index, size);
    return this.#withNodes((r) => inclusionProof(index, size, r));
  }

  /** Consistency proof from the first `oldSize` leaves to the first `newSize` (default: this tree). */
  async consistencyProof(oldSize: number, newSize: number = this.size): Promise<Uint8Array[]> {
    this.#checkIndex(newSize, this.size + 1);
    this.#checkIndex(oldSize, newSize + 1);
    return this.#withNodes((r) => consistencyProof(oldSize, newSize, r));
  }

  /** Root hash of the first `size` leaves (an older tree, from this tree's verified hashes). */
  async rootAt(size: number): Promise<Uint8Array> {
    this.#checkIndex(size, this.size + 1);
    return this.#withNodes((r) => treeRoot(size, r));
  }

  /**
   * Entries (128-byte Sigsum leaves) `[start, end)` from entry bundles, each
   * bundle verified against the tree before its entries are returned.
   * Bundles are fetched in parallel. The entries are views of a copy private
   * to this call (never of a cached body).
   */
  async entries(start: number, end: number): Promise<Uint8Array[]> {
    this.#checkIndex(end, this.size + 1);
    if (!Number.isSafeInteger(start) || start < 0 || start > end) throw new OutOfRangeError('tiles.range', `start ${start} is not in 0..${end}`, 'start');
    if (start === end) return [];
    const first = Math.floor(start / TILE_WIDTH);
    const last = Math.floor((end - 1) / TILE_WIDTH);
    const bundles: TileRef[] = [];
    for (let b = first; b <= last; b++) bundles.push(tileInTree(this.size, 0, b, true));
    // What each bundle is checked against: a level-8 node (full) or the partial level-0 tile.
    await this.loadNodes(bundles.filter((b) => b.width === TILE_WIDTH).map((b) => ({ level: 8, index: b.index })));
    await this.#verifyPartials();
    const bodies = await Promise.all(bundles.map((b) => this.#body(b)));
    const out: Uint8Array[] = [];
    bundles.forEach((b, i) => {
      const where = formatTilePath(b);
      // A private copy (the fetcher may cache the body it returned): the entries handed out are
      // views of it, and the length byte just before each entry becomes the leaf hash's 0x00
      // prefix, so hashing a leaf is one SHA-256 over a slice, with no buffer per leaf.
      const own = bodies[i]!.slice();
      const entries = parseEntryBundle(own, b.width, {}, where);
      const hashes = entries.map((e) => {
        const at = e.byteOffset - own.byteOffset - 1;
        own[at] = LEAF_HASH_PREFIX;
        return sha256(own.subarray(at, at + 1 + e.length));
      });
      if (b.width === TILE_WIDTH) {
        if (!equal32(subtreeHash(hashes, 0, TILE_WIDTH), this.getNode(8, b.index))) {
          throw new TileVerificationError('tiles.bundle-mismatch', 'entry bundle does not hash to its entry in the level-1 tile', where);
        }
      } else {
        const tile = this.#verified.get(key({ level: 0, index: b.index }))![0]!;
        hashes.forEach((h, j) => {
          if (!equal32(h, tile[j]!)) throw new TileVerificationError('tiles.bundle-mismatch', `entry ${j} does not hash to the leaf hash in the partial level-0 tile`, where);
        });
      }
      const lo = Math.max(start - b.index * TILE_WIDTH, 0);
      const hi = Math.min(end - b.index * TILE_WIDTH, b.width);
      for (let j = lo; j < hi; j++) out.push(entries[j]!);
    });
    return out;
  }

  #checkIndex(v: number, below: number): void {
    if (!Number.isSafeInteger(v) || v < 0 || v >= below) throw new OutOfRangeError('tiles.range', `${v} is not in 0..${below - 1}`, 'index');
  }
}

/**
 * Every perfect subtree inside a tile: level 0 is the tile's hashes, level r
 * the nodes over 2^r of them (as far as the width allows). Built once per
 * tile so that reading any node of it afterwards costs no hashing.
 */
function pyramid(hashes: Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = [hashes];
  for (let r = 1; r <= TILE_HEIGHT; r++) {
    const below = out[r - 1]!;
    const level: Uint8Array[] = [];
    for (let j = 0; 2 * j + 1 < below.length; j++) level.push(nodeHash(below[2 * j]!, below[2 * j + 1]!));
    out.push(level);
  }
  return out;
}

// A node from the verified (or being-verified) tiles.
function nodeFrom(tiles: Map<string, Uint8Array[][]>, level: number, index: number): Uint8Array {
  const at = nodeInTile(level, index);
  const h = tiles.get(key({ level: at.tileLevel, index: at.tileIndex }))?.[at.r]?.[at.offset >> at.r];
  if (h === undefined) throw new TileVerificationError('tiles.not-loaded', `node ${level}/${index} is not in a loaded tile`, 'tiles');
  return h;
}
