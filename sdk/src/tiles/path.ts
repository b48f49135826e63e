/**
 * C2SP tlog-tiles resource names: Merkle tree tiles `tile/<L>/<N>[.p/<W>]`
 * and entry bundles `tile/entries/<N>[.p/<W>]`, where `<N>` is written in
 * zero-padded 3-digit path elements, all but the last prefixed with `x`
 * (1234067 → `x001/x234/067`). Parsing accepts only the canonical form, so
 * each resource has exactly one name.
 */
import { ParseError } from '../errors.js';

/** Tile height: each tile is a perfect subtree of 8 levels (256 hashes wide). */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile (2^{@link TILE_HEIGHT}). */
export const TILE_WIDTH = 256;
/** Highest tile level the spec allows. */
export const MAX_TILE_LEVEL = 63;

/** One tiles resource: a Merkle tree tile or an entry bundle, full (width 256) or partial (1–255). */
export interface TileRef {
  /** True for an entry bundle (`tile/entries/...`), false for a hash tile. */
  readonly entries: boolean;
  /** Tile level (0 for entry bundles): hashes in the tile are Merkle nodes at level 8·level. */
  readonly level: number;
  /** Index of the tile within its level. */
  readonly index: number;
  /** Number of hashes (or entries): 256 for a full tile, 1–255 for a partial one. */
  readonly width: number;
}

/** Encode a tile index as `x001/x234/067`. */
export function formatTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new TypeError(`tile index must be a safe non-negative integer, got ${index}`);
  let n = index;
  let out = String(n % 1000).padStart(3, '0');
  n = Math.floor(n / 1000);
  while (n > 0) {
    out = `x${String(n % 1000).padStart(3, '0')}/${out}`;
    n = Math.floor(n / 1000);
  }
  return out;
}

/** The path of a tile or entry bundle relative to the log prefix, e.g. `tile/0/x001/067.p/12`. */
export function formatTilePath(t: TileRef): string {
  if (!Number.isInteger(t.width) || t.width < 1 || t.width > TILE_WIDTH) throw new TypeError(`tile width must be 1..${TILE_WIDTH}, got ${t.width}`);
  if (!t.entries && (!Number.isInteger(t.level) || t.level < 0 || t.level > MAX_TILE_LEVEL)) throw new TypeError(`tile level must be 0..${MAX_TILE_LEVEL}, got ${t.level}`);
  const head = t.entries ? 'tile/entries/' : `tile/${t.level}/`;
  return head + formatTileIndex(t.index) + (t.width === TILE_WIDTH ? '' : `.p/${t.width}`);
}

const SMALL_DECIMAL = /^(0|[1-9][0-9]{0,2})$/;

function bad(message: string, path: string): never {
  throw new ParseError('tiles.path', message, JSON.stringify(path.length > 120 ? path.slice(0, 120) + '…' : path));
}

/**
 * Parse a tiles path relative to the log prefix (`tile/...`). Strict: level
 * 0–63 and width 1–255 without leading zeros, canonical index elements
 * (no `x000` first element), index below 2^53.
 * @throws ParseError `tiles.path` naming what is wrong.
 */
export function parseTilePath(path: string): TileRef {
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) bad('not a tile path (expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])', path);
  let entries = false;
  let level = 0;
  if (parts[1] === 'entries') entries = true;
  else {
    if (!SMALL_DECIMAL.test(parts[1]!)) bad(`invalid tile level ${JSON.stringify(parts[1])} (decimal 0-63, no leading zeros)`, path);
    level = Number(parts[1]);
    if (level > MAX_TILE_LEVEL) bad(`tile level ${level} is above ${MAX_TILE_LEVEL}`, path);
  }
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  const last = rest[rest.length - 1]!;
  if (rest.length >= 2 && rest[rest.length - 2]!.endsWith('.p')) {
    const w = last;
    if (!SMALL_DECIMAL.test(w) || w === '0') bad(`invalid partial tile width ${JSON.stringify(w)} (decimal 1-255, no leading zeros)`, path);
    width = Number(w);
    if (width > 255) bad(`partial tile width ${width} is above 255`, path);
    rest = rest.slice(0, -1);
    rest[rest.length - 1] = rest[rest.length - 1]!.slice(0, -2);
  } else if (last.includes('.')) {
    bad(`invalid tile index element ${JSON.stringify(last)}`, path);
  }
  let index = 0;
  for (let i = 0; i < rest.length; i++) {
    const e = rest[i]!;
    const isLast = i === rest.length - 1;
    const digits = isLast ? e : e.slice(1);
    if ((!isLast && e[0] !== 'x') || !/^[0-9]{3}$/.test(digits)) {
      bad(`invalid tile index element ${JSON.stringify(e)} (expected ${isLast ? '3 digits' : '"x" and 3 digits'})`, path);
    }
    if (i === 0 && !isLast && digits === '000') bad('tile index has a leading x000 element', path);
    index = index * 1000 + Number(digits);
    if (!Number.isSafeInteger(index)) bad('tile index is too large', path);
  }
  return { entries, level, index, width };
}
