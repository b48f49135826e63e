/**
 * Tile and entry-bundle bodies (C2SP tlog-tiles). A tile is its hashes
 * concatenated (32 bytes each); an entry bundle is a sequence of entries,
 * each a big-endian uint16 length followed by that many bytes. Sigsum's
 * entries are the 128-byte leaves, so a leaf hash is H(0x00 ‖ entry).
 */
import { ParseError } from '../errors.js';
import { nodeHash } from '../merkle/internal.js';
import { HASH_SIZE, sha256 } from '../crypto/sha256.js';

// RFC 6962 interior node domain separation: H(0x01 ‖ left ‖ right).
const NODE_HASH_PREFIX = 0x01;
import { LEAF_SIZE } from '../types/leaf.js';

/**
 * Split a tile body into its `width` hashes.
 * @throws ParseError `tiles.tile-size` unless the body is exactly 32·width bytes.
 */
export function parseTileHashes(body: Uint8Array, width: number, where = 'tile'): Uint8Array[] {
  if (body.length !== width * HASH_SIZE) {
    throw new ParseError('tiles.tile-size', `tile has ${body.length} bytes, expected ${width * HASH_SIZE} (${width} hashes)`, where);
  }
  const out: Uint8Array[] = new Array(width);
  for (let i = 0; i < width; i++) out[i] = body.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  return out;
}

/** Concatenate hashes into a tile body. */
export function serializeTileHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw new TypeError(`tile hash ${i} has ${h.length} bytes`);
    out.set(h, i * HASH_SIZE);
  });
  return out;
}

/**
 * The hash of the perfect subtree over `count` (a power of two) consecutive
 * hashes starting at `offset`: the Merkle node that many tile hashes make up.
 */
export function subtreeHash(hashes: readonly Uint8Array[], offset: number, count: number): Uint8Array {
  if (count === 1) return hashes[offset]!;
  // Level by level through one 0x01 ‖ left ‖ right buffer: a bundle's 255 node hashes need no buffer each.
  const buf = new Uint8Array(1 + 2 * HASH_SIZE);
  buf[0] = NODE_HASH_PREFIX;
  let level = hashes.slice(offset, offset + count);
  while (level.length > 1) {
    const next: Uint8Array[] = new Array(level.length >> 1);
    for (let j = 0; j < next.length; j++) {
      const left = level[2 * j]!;
      const right = level[2 * j + 1]!;
      if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) return nodeHash(left, right); // throws the size error
      buf.set(left, 1);
      buf.set(right, 1 + HASH_SIZE);
      next[j] = sha256(buf);
    }
    level = next;
  }
  return level[0]!;
}

/** Options of {@link parseEntryBundle}. */
export interface EntryBundleOptions {
  /** Required size of every entry (default 128, the Sigsum leaf); `undefined` in an object with `anySize: true` accepts any. */
  entrySize?: number;
  /** Accept entries of any length (generic tlog-tiles). */
  anySize?: boolean;
}

/**
 * Parse an entry bundle of exactly `width` entries. Strict and total: every
 * length prefix must fit, no bytes may follow the last entry, and (by
 * default) every entry must be a 128-byte Sigsum leaf.
 * @throws ParseError `tiles.bundle` naming the entry and what is wrong.
 */
export function parseEntryBundle(body: Uint8Array, width: number, options: EntryBundleOptions = {}, where = 'entry bundle'): Uint8Array[] {
  const want = options.anySize === true ? undefined : (options.entrySize ?? LEAF_SIZE);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < body.length) {
    if (out.length === width) throw new ParseError('tiles.bundle', `${body.length - off} bytes after the last of ${width} entries`, where);
    if (off + 2 > body.length) throw new ParseError('tiles.bundle', `entry ${out.length}: truncated length prefix`, where);
    const n = (body[off]! << 8) | body[off + 1]!;
    off += 2;
    if (want !== undefined && n !== want) throw new ParseError('tiles.bundle', `entry ${out.length} has ${n} bytes, expected ${want}`, where);
    if (off + n > body.length) throw new ParseError('tiles.bundle', `entry ${out.length}: ${n} bytes announced, ${body.length - off} left`, where);
    out.push(body.subarray(off, off + n));
    off += n;
  }
  if (out.length !== width) throw new ParseError('tiles.bundle', `bundle has ${out.length} entries, expected ${width}`, where);
  return out;
}

/** Serialize entries as an entry bundle (uint16 big-endian length prefixes). */
export function serializeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const e of entries) {
    if (e.length > 0xffff) throw new TypeError(`entry of ${e.length} bytes does not fit a uint16 length`);
    n += 2 + e.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const e of entries) {
    out[off] = e.length >> 8;
    out[off + 1] = e.length & 0xff;
    out.set(e, off + 2);
    off += 2 + e.length;
  }
  return out;
}
