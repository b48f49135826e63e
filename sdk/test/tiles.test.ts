/**
 * tlog-tiles core: paths (spec examples, strict parsing), coordinates (spec
 * examples), and the verifying tiled tree against an independent definition
 * of tiles (MTH of leaf ranges, straight from the spec's formula) and our
 * Merkle code, on every size 0–1,100 and random sizes up to 100,000, and on
 * the sigsum-go Merkle vectors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryTree,
  ParseError,
  SeedSigner,
  TILE_WIDTH,
  TiledTree,
  TileVerificationError,
  formatCosignedCheckpoint,
  formatTileIndex,
  formatTilePath,
  fromHex,
  fullTileCount,
  hashLeaf,
  hashNode,
  keyHash,
  newTiles,
  parseCosignedCheckpoint,
  parseEntryBundle,
  parsePolicy,
  parseTilePath,
  partialTileWidth,
  rootFromLeafHashes,
  serializeEntryBundle,
  serializeTileHashes,
  sha256,
  signTreeHead,
  cosignTreeHead,
  tileExists,
  tileLevels,
  tilesOfTree,
  toBase64,
  toHex,
  utf8,
  verifyCosignedTreeHead,
  type TileRef,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import { parseErrorOf } from './parse-error.js';

const k127 = (i: number) => i & 0xff;

/** Deterministic 128-byte leaves, distinct for distinct (label, i). */
function makeEntries(n: number, label = 'tiles'): Uint8Array[] {
  const seed = sha256(utf8(label));
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    // No hashing per entry (big fixtures stay cheap): the label's hash, then the index.
    const e = new Uint8Array(128);
    e.set(seed);
    new DataView(e.buffer).setUint32(32, i);
    e[127] = k127(i);
    out.push(e);
  }
  return out;
}

/**
 * Tiles from the spec's definition: entry i of tile n at level l is
 * MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l]), computed with
 * rootFromLeafHashes over leaf-hash slices (no MemoryTree involved).
 */
class ReferenceTiles {
  readonly leafHashes: Uint8Array[];
  readonly entries: Uint8Array[] | undefined;
  // levelHashes[l][k] = MTH of the k-th complete 256^l block of leaves.
  readonly levelHashes: Uint8Array[][] = [];
  // A path names the same bytes in every prefix of this tree: each body is serialized once.
  readonly #bodies = new Map<string, Uint8Array>();
  served: string[] = [];
  constructor(leafHashes: Uint8Array[], entries?: Uint8Array[]) {
    this.leafHashes = leafHashes;
    this.entries = entries;
    this.levelHashes.push(leafHashes);
    for (let l = 1; TILE_WIDTH ** l <= leafHashes.length; l++) {
      const below = this.levelHashes[l - 1]!;
      const hs: Uint8Array[] = [];
      for (let k = 0; (k + 1) * TILE_WIDTH <= below.length; k++) hs.push(rootFromLeafHashes(below.slice(k * TILE_WIDTH, (k + 1) * TILE_WIDTH)));
      this.levelHashes.push(hs);
    }
  }
  body(t: TileRef): Uint8Array {
    const path = formatTilePath(t);
    this.served.push(path);
    const known = this.#bodies.get(path);
    if (known !== undefined) return known;
    const body = t.entries
      ? serializeEntryBundle(this.entries!.slice(t.index * TILE_WIDTH, t.index * TILE_WIDTH + t.width))
      : serializeTileHashes(this.levelHashes[t.level]!.slice(t.index * TILE_WIDTH, t.index * TILE_WIDTH + t.width));
    this.#bodies.set(path, body);
    return body;
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

describe('tile paths', () => {
  it('formats indices as in the spec (1234067 → x001/x234/067)', () => {
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTilePath({ entries: false, level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(formatTilePath({ entries: false, level: 2, index: 5, width: 17 })).toBe('tile/2/005.p/17');
    expect(formatTilePath({ entries: true, level: 0, index: 1000, width: 1 })).toBe('tile/entries/x001/000.p/1');
  });

  it('round-trips random paths', () => {
    const r = rng(7);
    for (let i = 0; i < 2000; i++) {
      const t: TileRef = {
        entries: r() < 0.3,
        level: 0,
        index: Math.floor(r() * 10 ** Math.floor(r() * 15)),
        width: r() < 0.5 ? 256 : 1 + Math.floor(r() * 255),
      };
      const u = t.entries ? t : { ...t, level: Math.floor(r() * 64) };
      expect(parseTilePath(formatTilePath(u))).toEqual(u);
    }
  });

  it.each([
    ['tile/01/000', 'invalid tile level "01"'],
    ['tile/64/000', 'tile level 64 is above 63'],
    ['tile/0/000.p/0', 'invalid partial tile width "0"'],
    ['tile/0/000.p/256', 'partial tile width 256 is above 255'],
    ['tile/0/000.p/007', 'invalid partial tile width "007"'],
    ['tile/0/x000/001', 'leading x000 element'],
    ['tile/0/x01/001', 'invalid tile index element "x01"'],
    ['tile/0/1', 'invalid tile index element "1"'],
    ['tile/0/0001', 'invalid tile index element "0001"'],
    ['tile/0/001/002', 'invalid tile index element "001"'],
    ['tile/0/x001', 'invalid tile index element "x001"'],
    ['tile/0/000.p', 'invalid tile index element "000.p"'],
    ['tile/0/000.p/', 'invalid partial tile width ""'],
    ['tile/0/', 'invalid tile index element ""'],
    ['tile/entries', 'not a tile path'],
    ['tile/-1/000', 'invalid tile level "-1"'],
    ['tiles/0/000', 'not a tile path'],
    ['tile/0/x999/x999/x999/x999/x999/x999/999', 'tile index is too large'],
  ])('rejects %s', (path, message) => {
    const e = parseErrorOf(() => parseTilePath(path));
    expect(e.code).toBe('tiles.path');
    expect(e.message).toContain(message);
  });
});

describe('tile coordinates', () => {
  it('matches the spec example of a tree of 70,000 leaves', () => {
    const s = 70_000;
    expect([fullTileCount(s, 0), partialTileWidth(s, 0)]).toEqual([273, 112]);
    expect([fullTileCount(s, 1), partialTileWidth(s, 1)]).toEqual([1, 17]);
    expect([fullTileCount(s, 2), partialTileWidth(s, 2)]).toEqual([0, 1]);
    expect(tileLevels(s)).toBe(3);
    const hashTiles = tilesOfTree(s, { entries: false }).map(formatTilePath);
    expect(hashTiles.length).toBe(273 + 1 + 1 + 1 + 1);
    expect(hashTiles.slice(-4)).toEqual(['tile/0/273.p/112', 'tile/1/000', 'tile/1/001.p/17', 'tile/2/000.p/1']);
  });

  it('matches the spec example of a tree of 256 leaves', () => {
    expect(tilesOfTree(256, { entries: false }).map(formatTilePath)).toEqual(['tile/0/000', 'tile/1/000.p/1']);
    expect(tilesOfTree(256).map(formatTilePath)).toEqual(['tile/0/000', 'tile/1/000.p/1', 'tile/entries/000']);
    expect(tilesOfTree(0)).toEqual([]);
  });

  it('knows which resources exist (exactly those within the tree)', () => {
    expect(tileExists(300, { entries: false, level: 0, index: 1, width: 44 })).toBe(true);
    expect(tileExists(300, { entries: false, level: 0, index: 1, width: 45 })).toBe(false);
    expect(tileExists(300, { entries: false, level: 0, index: 1, width: 256 })).toBe(false);
    expect(tileExists(300, { entries: false, level: 0, index: 0, width: 256 })).toBe(true);
    expect(tileExists(300, { entries: false, level: 0, index: 0, width: 3 })).toBe(true);
    expect(tileExists(300, { entries: false, level: 1, index: 0, width: 1 })).toBe(true);
    expect(tileExists(300, { entries: false, level: 1, index: 0, width: 2 })).toBe(false);
    expect(tileExists(300, { entries: false, level: 2, index: 0, width: 1 })).toBe(false);
    expect(tileExists(300, { entries: true, level: 0, index: 1, width: 44 })).toBe(true);
    expect(tileExists(300, { entries: true, level: 0, index: 2, width: 1 })).toBe(false);
  });

  it('lists what is new between two sizes', () => {
    expect(newTiles(256, 513, { entries: false }).map(formatTilePath)).toEqual(['tile/0/001', 'tile/0/002.p/1', 'tile/1/000.p/2']);
    expect(newTiles(0, 1).map(formatTilePath)).toEqual(['tile/0/000.p/1', 'tile/entries/000.p/1']);
  });
});

describe('entry bundles', () => {
  it('round-trips and hashes each entry to its leaf hash', () => {
    const entries = makeEntries(3);
    const body = serializeEntryBundle(entries);
    expect(body.length).toBe(3 * 130);
    expect([body[0], body[1]]).toEqual([0, 128]);
    expect(parseEntryBundle(body, 3)).toEqual(entries);
  });

  it.each([
    ['a truncated length prefix', (b: Uint8Array) => b.subarray(0, 131), 2, 'entry 1: truncated length prefix'],
    ['a truncated entry', (b: Uint8Array) => b.subarray(0, 200), 2, 'entry 1: 128 bytes announced, 68 left'],
    ['a trailing byte', (b: Uint8Array) => new Uint8Array([...b, 0]), 2, '1 bytes after the last of 2 entries'],
    ['too few entries', (b: Uint8Array) => b.subarray(0, 130), 2, 'bundle has 1 entries, expected 2'],
    ['a wrong entry size', (b: Uint8Array) => new Uint8Array([0, 127, ...b.subarray(2, 129), ...b.subarray(130)]), 2, 'entry 0 has 127 bytes, expected 128'],
  ])('rejects %s', (_name, mutate, width, message) => {
    const e = parseErrorOf(() => parseEntryBundle(mutate(serializeEntryBundle(makeEntries(2))), width));
    expect(e.code).toBe('tiles.bundle');
    expect(e.message).toContain(message);
  });
});

const BIG = 100_000;
let bigFixture: { ref: ReferenceTiles; mem: MemoryTree } | undefined;
/**
 * One tree of 100,000 leaves, built once: its prefixes are the random large
 * trees and the spec's example tree of 70,000 leaves.
 */
function big(): { ref: ReferenceTiles; mem: MemoryTree } {
  if (bigFixture === undefined) {
    const entries = makeEntries(BIG, 'big');
    const ref = new ReferenceTiles(entries.map((e) => hashLeaf(e)), entries);
    bigFixture = { ref, mem: MemoryTree.fromLeafHashes(ref.leafHashes) };
  }
  return bigFixture;
}

/**
 * Check a tiled tree of `size` against MemoryTree: root, proofs, entries.
 * Proofs come from `proofTree` when given (a larger tiled tree already
 * holding verified full tiles: the proofs for `size` are computed there with
 * `size` as the tree size), else from the tree of `size` itself.
 */
async function checkSize(ref: ReferenceTiles, mem: MemoryTree, size: number, r: () => number, withEntries = true, proofTree?: TiledTree): Promise<void> {
  const tree = new TiledTree(size, mem.root(size), async (t) => ref.body(t));
  // The root check reads exactly the partial tiles of this size.
  expect(toHex(await tree.root())).toBe(toHex(mem.root(size)));
  if (size === 0) return;
  const p = proofTree ?? tree;
  const i = Math.floor(r() * size);
  expect((await p.inclusionProof(i, size)).map(toHex)).toEqual(mem.inclusionProof(i, size).map(toHex));
  expect(toHex(await tree.leafHash(i))).toBe(toHex(mem.leafHash(i)));
  const old = Math.floor(r() * (size + 1));
  expect((await p.consistencyProof(old, size)).map(toHex)).toEqual(mem.consistencyProof(old, size).map(toHex));
  expect(toHex(await tree.rootAt(old))).toBe(toHex(mem.root(old)));
  if (!withEntries) return;
  const a = Math.floor(r() * size);
  const b = Math.min(size, a + 1 + Math.floor(r() * 300));
  // Compared as one hex string: deep equality of hundreds of byte arrays is slow.
  expect((await tree.entries(a, b)).map(toHex).join()).toBe(ref.entries!.slice(a, b).map(toHex).join());
}

describe('tiled tree vs the Merkle code', () => {
  it('agrees on every size 0–1,100', async () => {
    const entries = makeEntries(1100);
    const ref = new ReferenceTiles(entries.map((e) => hashLeaf(e)), entries);
    const mem = MemoryTree.fromLeafHashes(ref.leafHashes);
    const r = rng(11);
    // Full tiles verified once serve the proofs of every size (a fresh tree per size would rebuild them 1,100 times);
    // every 16th size and the sizes around each tile boundary compute their proofs from their own tree.
    const proofTree = new TiledTree(1100, mem.root(), async (t) => ref.body(t));
    for (let size = 0; size <= 1100; size++) {
      const boundary = size % 256 <= 1 || size % 256 === 255;
      // Bundles hash every entry: check them on every 8th size and around each bundle boundary.
      await checkSize(ref, mem, size, r, size % 8 === 0 || boundary, size % 16 === 0 || boundary ? undefined : proofTree);
    }
  }, 120_000);

  it('agrees on random sizes up to 100,000', async () => {
    const n = BIG;
    const { ref, mem } = big();
    const r = rng(12);
    const sizes = [65_536, 65_535, 65_537, n, ...Array.from({ length: 6 }, () => 1 + Math.floor(r() * n))];
    for (const size of sizes) await checkSize(ref, mem, size, r);
    // Every proof within one tree of the largest size, for a spread of indices.
    const tree = new TiledTree(n, mem.root(n), async (t) => ref.body(t));
    for (let k = 0; k < 200; k++) {
      const i = Math.floor(r() * n);
      const size = i + 1 + Math.floor(r() * (n - i));
      expect((await tree.inclusionProof(i, size)).map(toHex)).toEqual(mem.inclusionProof(i, size).map(toHex));
    }
  }, 60_000);

  it('fetches only the tiles a proof needs, in parallel, and reuses verified ones', async () => {
    const { ref, mem } = big();
    ref.served = [];
    const tree = new TiledTree(70_000, mem.root(70_000), async (t) => ref.body(t));
    await tree.inclusionProof(5);
    // The three partial tiles (root check), the full level-0 tile and its parent.
    expect(ref.served.sort()).toEqual(['tile/0/000', 'tile/0/273.p/112', 'tile/1/000', 'tile/1/001.p/17', 'tile/2/000.p/1']);
    ref.served = [];
    await tree.inclusionProof(7);
    expect(ref.served).toEqual([]);
  });
});

describe('the sigsum-go Merkle vectors through tiles', () => {
  it('computes every valid inclusion and consistency proof byte for byte', async () => {
    const v = await loadSigsumVectors('merkle');
    // Not every leaf lists its hash; the data is always there.
    const leaves = (v.leaves as { data: string; leaf_hash?: string }[]).map((l) => {
      const h = hashLeaf(fromHex(l.data));
      if (l.leaf_hash !== undefined) expect(toHex(h)).toBe(l.leaf_hash);
      return h;
    });
    const ref = new ReferenceTiles(leaves);
    const n = leaves.length;
    const tree = new TiledTree(n, rootFromLeafHashes(leaves), async (t) => ref.body(t));
    for (const t of v.trees as { size: number; root_hash: string }[]) {
      if (t.size <= n) expect(toHex(await tree.rootAt(t.size)), `tree ${t.size}`).toBe(t.root_hash);
    }
    let checked = 0;
    for (const c of v.inclusion as { name: string; index: number; size: number; path: string[]; expect: string; leaf_hash: string }[]) {
      // Some mutated cases still verify in Go (e.g. a wrong size with the same path length); only the honest ones are proofs we must produce.
      if (c.expect !== 'valid' || !/^incl-\d+-\d+$/.test(c.name)) continue;
      expect((await tree.inclusionProof(c.index, c.size)).map(toHex), c.name).toEqual(c.path);
      expect(toHex(await tree.leafHash(c.index)), c.name).toBe(c.leaf_hash);
      checked++;
    }
    for (const c of v.consistency as { name: string; old_size: number; new_size: number; path: string[]; expect: string }[]) {
      if (c.expect !== 'valid' || !/^cons-\d+-\d+$/.test(c.name)) continue;
      expect((await tree.consistencyProof(c.old_size, c.new_size)).map(toHex), c.name).toEqual(c.path);
      checked++;
    }
    expect(checked).toBe(199 + 230);
  });
});

describe('a lying tile source is caught', () => {
  let ref: ReferenceTiles;
  let mem: MemoryTree;
  let root70k: Uint8Array;
  beforeAll(() => {
    ({ ref, mem } = big());
    root70k = mem.root(70_000);
  });
  const liar = (path: string, offset: number) => async (t: TileRef) => {
    const b = ref.body(t).slice();
    if (formatTilePath(t) === path) b[offset]! ^= 1;
    return b;
  };
  const errorOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e as TileVerificationError;
    }
    throw new Error('expected an error');
  };

  it('a flipped byte in a full tile', async () => {
    const e = await errorOf(new TiledTree(70_000, root70k, liar('tile/0/000', 40)).inclusionProof(3));
    expect(e).toBeInstanceOf(TileVerificationError);
    expect([e.code, e.where]).toEqual(['tiles.tile-mismatch', 'tile/0/000']);
  });
  it('a flipped byte in a full level-1 tile', async () => {
    const e = await errorOf(new TiledTree(70_000, root70k, liar('tile/1/000', 0)).inclusionProof(3));
    expect([e.code, e.where]).toEqual(['tiles.tile-mismatch', 'tile/1/000']);
  });
  it('a flipped byte in a partial tile', async () => {
    const e = await errorOf(new TiledTree(70_000, root70k, liar('tile/1/001.p/17', 100)).root());
    expect(e.code).toBe('tiles.root-mismatch');
  });
  it('a flipped byte in a full and in a partial entry bundle', async () => {
    let e = await errorOf(new TiledTree(70_000, root70k, liar('tile/entries/002', 200)).entries(600, 601));
    expect([e.code, e.where]).toEqual(['tiles.bundle-mismatch', 'tile/entries/002']);
    e = await errorOf(new TiledTree(70_000, root70k, liar('tile/entries/273.p/112', 2 + 130 * 5)).entries(69_900, 70_000));
    expect([e.code, e.where]).toEqual(['tiles.bundle-mismatch', 'tile/entries/273.p/112']);
    expect(e.message).toContain('entry 5 does not hash');
  });
  it('a stale partial tile (an older width) and a tile of the wrong length', async () => {
    const stale = async (t: TileRef) => (t.width === 112 && !t.entries ? ref.body({ ...t, width: 111 }) : ref.body(t));
    const e = await errorOf(new TiledTree(70_000, root70k, stale).root());
    expect(e).toBeInstanceOf(ParseError);
    expect([e.code, e.where]).toEqual(['tiles.tile-size', 'tile/0/273.p/112']);
  });
  it('tiles of a different tree (same size)', async () => {
    // The root of the same 70,000 leaves but the last: its three left perfect subtrees, then the changed 112.
    const last = [...ref.leafHashes.slice(69_888, 69_999), sha256(utf8('other'))];
    const other = hashNode(mem.getNode(16, 0), hashNode(mem.getNode(12, 16), hashNode(mem.getNode(8, 272), rootFromLeafHashes(last))));
    expect(toHex(other)).not.toBe(toHex(root70k));
    expect(toHex(hashNode(mem.getNode(16, 0), hashNode(mem.getNode(12, 16), hashNode(mem.getNode(8, 272), rootFromLeafHashes(ref.leafHashes.slice(69_888, 70_000))))))).toBe(toHex(root70k));
    const e = await errorOf(new TiledTree(70_000, other, async (t) => ref.body(t)).inclusionProof(1));
    expect(e.code).toBe('tiles.root-mismatch');
  });
});

describe('the cosigned checkpoint note', () => {
  it('carries the tree head signature and cosignatures of get-tree-head, and verifies under a policy', async () => {
    const log = new SeedSigner(sha256(utf8('tiles log')));
    const w1 = new SeedSigner(sha256(utf8('tiles w1')));
    const w2 = new SeedSigner(sha256(utf8('tiles w2')));
    const w3 = new SeedSigner(sha256(utf8('tiles w3')));
    const th = { size: 70_000n, rootHash: sha256(utf8('root')) };
    const sth = await signTreeHead(log, th);
    const kh = keyHash(log.publicKey);
    const cosignatures = [await cosignTreeHead(w1, th, kh, 1_700_000_000n), await cosignTreeHead(w3, th, kh, 1_700_000_001n), await cosignTreeHead(w2, th, kh, 1_700_000_002n)];
    const cth = { ...sth, cosignatures };
    // w3's key is unknown to the log's configuration: its cosignature cannot get a key ID.
    const { note, omitted } = formatCosignedCheckpoint(cth, log.publicKey, [w1.publicKey, w2.publicKey]);
    expect(omitted).toBe(1);
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual([`sigsum.org/v1/tree/${toHex(kh)}`, '70000', toBase64(th.rootHash), '']);
    expect(lines[4]!.startsWith(`\u2014 sigsum.org/v1/tree/${toHex(kh)} `)).toBe(true);
    expect(lines[5]!.startsWith(`\u2014 sigsum.org/v1/witness/${toHex(keyHash(w1.publicKey))} `)).toBe(true);
    const parsed = parseCosignedCheckpoint(note, log.publicKey, [w1.publicKey, w2.publicKey, w3.publicKey]);
    expect(parsed.treeHead).toEqual({ ...cth, cosignatures: [cosignatures[0], cosignatures[2]] });
    const policy = parsePolicy(
      `log ${toHex(log.publicKey)}\nwitness w1 ${toHex(w1.publicKey)}\nwitness w2 ${toHex(w2.publicKey)}\ngroup g all w1 w2\nquorum g\n`,
    );
    expect((await verifyCosignedTreeHead(policy, kh, parsed.treeHead)).ok).toBe(true);
    // Another log's checkpoint.
    const other = new SeedSigner(sha256(utf8('other log')));
    let e: unknown;
    try {
      parseCosignedCheckpoint(note, other.publicKey);
    } catch (x) {
      e = x;
    }
    expect((e as TileVerificationError).code).toBe('tiles.checkpoint-origin');
  });
});
