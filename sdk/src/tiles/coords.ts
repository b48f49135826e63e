/**
 * Where the Merkle tree of a given size lives in tiles (C2SP tlog-tiles):
 * which tiles exist, how wide each is, and which tile holds a given node.
 * Sizes and indices are safe integers (a log stays below 2^53 leaves).
 */
import { OutOfRangeError } from '../errors.js';
import { TILE_HEIGHT, TILE_WIDTH, type TileRef } from './path.js';

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new OutOfRangeError('tiles.size', `tree size ${size} is not an integer in 0..2^53-1`, 'size');
}

/** Number of Merkle nodes at tile level `level` (node level 8·level) in a tree of `size` leaves: floor(size / 256^level). */
export function tileLevelNodes(size: number, level: number): number {
  checkSize(size);
  return Math.floor(size / TILE_WIDTH ** level);
}

/** Number of full tiles at `level` for a tree of `size` leaves. */
export function fullTileCount(size: number, level: number): number {
  return Math.floor(tileLevelNodes(size, level) / TILE_WIDTH);
}

/** Width of the partial tile at `level` for `size` (0 when there is none): floor(size / 256^level) mod 256. */
export function partialTileWidth(size: number, level: number): number {
  return tileLevelNodes(size, level) % TILE_WIDTH;
}

/** Number of tile levels that hold anything for `size` (0 for the empty tree). */
export function tileLevels(size: number): number {
  checkSize(size);
  let l = 0;
  while (tileLevelNodes(size, l) > 0) l++;
  return l;
}

/**
 * The tile at (`level`, `index`) as it is in the tree of `size` leaves: full if
 * the tree covers it, else partial with the width for `size`.
 * @throws OutOfRangeError `tiles.beyond-tree` if the tree has no such tile.
 */
export function tileInTree(size: number, level: number, index: number, entries = false): TileRef {
  const full = fullTileCount(size, level);
  if (index < full) return { entries, level, index, width: TILE_WIDTH };
  const w = partialTileWidth(size, level);
  if (index === full && w > 0) return { entries, level, index, width: w };
  throw new OutOfRangeError('tiles.beyond-tree', `tile ${level}/${index} is beyond the tree of size ${size}`, 'tile');
}

/**
 * True if the resource `t` exists for a tree of `size` leaves: every hash (or
 * entry) it holds is in the tree. Partial tiles narrower than the size's own
 * exist too (older checkpoints name them), and so do partial tiles whose full
 * tile is complete (the spec lets a log keep or drop them).
 */
export function tileExists(size: number, t: TileRef): boolean {
  if (t.entries && t.level !== 0) return false;
  return t.index * TILE_WIDTH + t.width <= tileLevelNodes(size, t.level);
}

/**
 * Every tile and entry bundle of the tree of `size` leaves (full ones and the
 * partial one per level), lowest level first.
 */
export function tilesOfTree(size: number, options: { entries?: boolean } = {}): TileRef[] {
  const out: TileRef[] = [];
  const levels = tileLevels(size);
  for (let level = 0; level < levels; level++) {
    const full = fullTileCount(size, level);
    const w = partialTileWidth(size, level);
    for (let i = 0; i < full; i++) out.push({ entries: false, level, index: i, width: TILE_WIDTH });
    if (w > 0) out.push({ entries: false, level, index: full, width: w });
  }
  if (options.entries !== false) {
    const full = fullTileCount(size, 0);
    const w = partialTileWidth(size, 0);
    for (let i = 0; i < full; i++) out.push({ entries: true, level: 0, index: i, width: TILE_WIDTH });
    if (w > 0) out.push({ entries: true, level: 0, index: full, width: w });
  }
  return out;
}

/**
 * The tiles that are new in the tree of `newSize` compared to `oldSize`: full
 * tiles not yet complete at `oldSize` and every partial tile of `newSize`
 * (what a static export writes for a new checkpoint).
 */
export function newTiles(oldSize: number, newSize: number, options: { entries?: boolean } = {}): TileRef[] {
  checkSize(oldSize);
  checkSize(newSize);
  if (oldSize > newSize) throw new OutOfRangeError('tiles.size', `old size ${oldSize} is larger than new size ${newSize}`, 'oldSize');
  return tilesOfTree(newSize, options).filter((t) => t.width !== TILE_WIDTH || t.index >= fullTileCount(oldSize, t.level));
}

/** Where a Merkle node is in tiles: the tile, the first hash of it the node covers, and how many (2^r). */
export interface NodeInTile {
  /** Tile level: floor(node level / 8). */
  readonly tileLevel: number;
  /** Tile index on that level. */
  readonly tileIndex: number;
  /** Position of the node's first covered hash in the tile. */
  readonly offset: number;
  /** Levels to hash up inside the tile (node level − 8·tileLevel, 0–7); the node covers 2^r tile hashes. */
  readonly r: number;
}

/** Locate the perfect Merkle node (`level`, `index`) in tiles. */
export function nodeInTile(level: number, index: number): NodeInTile {
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const r = level - tileLevel * TILE_HEIGHT;
  const first = index * 2 ** r;
  return { tileLevel, tileIndex: Math.floor(first / TILE_WIDTH), offset: first % TILE_WIDTH, r };
}
