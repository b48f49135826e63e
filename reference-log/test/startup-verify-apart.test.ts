/**
 * The start-up check's re-hash in a child process (storage/verify-apart.ts):
 * on real SQLite files, every kind of damage is found at the same index with
 * the same code and message as the in-process scan, errors come back with
 * their class, code and message, and a Sequencer over a damaged database of
 * more than APART_MIN_LEAVES leaves refuses to start with the same
 * StartupError, after re-hashing in the child (its log line says so).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactRange, SeedSigner, hashLeaf, keyHash, sha256, signTreeHead, utf8 } from '@sigsum-kit/sdk';
import { copyFileSync } from 'node:fs';
import {
  APART_MIN_LEAVES,
  Sequencer,
  StartupError,
  StorageError,
  openSqliteStorage,
  verifyTree,
  verifyTreeApart,
  type LeafRecord,
  type SqliteStorage,
} from '@sigsum-kit/reference-log';
import { tempDir } from './log-helpers.js';

const signer = new SeedSigner(sha256(utf8('startup verify apart log')));
const SIZE = APART_MIN_LEAVES + 100;
const scratch = tempDir('sigsum-verify-apart-');
let base: string;
let roots: Map<number, Uint8Array>;

beforeAll(async () => {
  base = join(scratch.dir, 'base.sqlite');
  const storage = openSqliteStorage(base, { create: true });
  storage.setLogPublicKey(signer.publicKey);
  const range = new CompactRange();
  const kh = keyHash(signer.publicKey);
  const recs: LeafRecord[] = [];
  const nodes = [];
  roots = new Map();
  for (let i = 0; i < SIZE; i++) {
    const leaf = new Uint8Array(128);
    leaf.set(sha256(utf8(`apart ${i}`)), 0);
    leaf.set(kh, 96);
    const leafHash = hashLeaf(leaf);
    recs.push({ leaf, leafHash });
    nodes.push(...range.append(leafHash));
    if (i + 1 === 1000 || i + 1 === SIZE) roots.set(i + 1, range.root());
  }
  storage.appendLeaves(recs, nodes);
  const sth = await signTreeHead(signer, { size: BigInt(SIZE), rootHash: range.root() });
  storage.saveTreeHead({ size: SIZE, rootHash: sth.rootHash, signature: sth.signature, cosignatures: [], publishedAt: 0 });
  storage.close();
}, 60_000);
afterAll(() => scratch.cleanup());

let n = 0;
/** A copy of the base database with `damage` done to it, opened as the log opens it. */
function damaged(damage: (db: Database.Database) => void): SqliteStorage {
  const path = join(scratch.dir, `case-${++n}.sqlite`);
  copyFileSync(base, path);
  const db = new Database(path);
  try {
    damage(db);
  } finally {
    db.close();
  }
  return openSqliteStorage(path, { create: false });
}

const cases: [string, (db: Database.Database) => void, string | undefined][] = [
  ['an intact database', () => {}, undefined],
  ['a deleted leaf row', (db) => db.prepare('DELETE FROM leaves WHERE idx = 4000').run(), 'missing-leaf'],
  ['a rewritten leaf', (db) => db.prepare('UPDATE leaves SET leaf = zeroblob(128) WHERE idx = 3001').run(), 'leaf-hash'],
  ['a rewritten leaf hash', (db) => db.prepare('UPDATE leaves SET leaf_hash = zeroblob(32) WHERE idx = 17').run(), 'leaf-hash'],
  ['an edited interior node', (db) => db.prepare('UPDATE nodes SET hash = zeroblob(32) WHERE level = 3 AND idx = 300').run(), 'node'],
  ['a deleted interior node', (db) => db.prepare('DELETE FROM nodes WHERE level = 2 AND idx = 1000').run(), 'missing-node'],
];

describe('verifyTreeApart', () => {
  it.each(cases)('finds what the in-process scan finds in %s', (_name, damage, code) => {
    const storage = damaged(damage);
    try {
      // The whole tree, and (once) a window starting at a restored border, as the start-up check reads it.
      const ranges: [number, number][] = code === undefined ? [[0, SIZE], [SIZE - APART_MIN_LEAVES, SIZE]] : [[0, SIZE]];
      for (const [start, end] of ranges) {
        const here = storage.snapshot(() => verifyTree(storage, start, end, roots));
        expect(storage.verifyTreeApart(start, end, roots)).toEqual({ verification: here });
        expect(here.damage?.code).toBe(code);
      }
    } finally {
      storage.close();
    }
  });

  it('reports a root that differs from the expected one, with the recomputed root', () => {
    const storage = damaged(() => {});
    try {
      const wrong = new Map([[1000, new Uint8Array(32)]]);
      const here = storage.snapshot(() => verifyTree(storage, 0, SIZE, wrong));
      expect(here.damage).toMatchObject({ index: 1000, code: 'root' });
      expect(storage.verifyTreeApart(0, SIZE, wrong)).toEqual({ verification: here });
    } finally {
      storage.close();
    }
  });

  it('throws the StorageError the in-process scan throws (a leaf stored as text)', () => {
    const storage = damaged((db) => db.prepare("UPDATE leaves SET leaf = 'not a blob' WHERE idx = 2500").run());
    try {
      const err = (fn: () => unknown): unknown => {
        try {
          fn();
        } catch (e) {
          return e;
        }
        throw new Error('did not throw');
      };
      const here = err(() => storage.snapshot(() => verifyTree(storage, 0, SIZE, roots)));
      const apart = err(() => storage.verifyTreeApart(0, SIZE, roots));
      expect(here).toBeInstanceOf(StorageError);
      expect(apart).toBeInstanceOf(StorageError);
      expect([(apart as StorageError).code, (apart as StorageError).message]).toEqual([(here as StorageError).code, (here as StorageError).message]);
      expect((apart as StorageError).code).toBe('storage.corrupt');
    } finally {
      storage.close();
    }
  });
});

describe('verifyTreeApart without a child that can run', () => {
  it('says why, so the caller re-hashes in-process (the check is never skipped)', () => {
    const missing = join(scratch.dir, 'no-such-child.js');
    const r = verifyTreeApart(base, 0, SIZE, roots, missing);
    expect(r).toEqual({ unavailable: `${missing} gave no answer (exit code 1): Error: Cannot find module '${missing}'` });
  });
});

describe('the start-up check over more than APART_MIN_LEAVES leaves', () => {
  const lines: string[] = [];
  const logger = { info: (_o: object, m?: string) => lines.push(`info ${m}`), warn: (_o: object, m?: string) => lines.push(`warn ${m}`), error: () => {} };

  it('re-hashes in a child process and starts on an intact database', () => {
    lines.length = 0;
    const storage = damaged(() => {});
    try {
      const seq = new Sequencer({ storage, signer, logger });
      expect(seq.startupState).toEqual({ mode: 'saved', treeSize: SIZE, publishedSize: SIZE, guardSize: null });
      expect(lines).toContain('info start-up check: leaves re-hashed in a child process');
    } finally {
      storage.close();
    }
  });

  it('refuses a damaged database with the same error as the in-process check', () => {
    lines.length = 0;
    const storage = damaged((db) => db.prepare('UPDATE leaves SET leaf = zeroblob(128) WHERE idx = 3001').run());
    try {
      expect(() => new Sequencer({ storage, signer, logger })).toThrow(
        new StartupError(
          'startup.damaged',
          'the database is damaged: leaf 3001 does not hash to its stored leaf hash; refusing to serve it (run `sigsum-log check`, then restore, docs/operations.md)',
        ),
      );
      expect(lines).toContain('info start-up check: leaves re-hashed in a child process');
      // A window below APART_MIN_LEAVES re-hashes in this process, and finds the same damage.
      lines.length = 0;
      expect(() => new Sequencer({ storage, signer, logger, startupVerifyLeaves: SIZE - 3000 })).toThrow(/^the database is damaged: leaf 3001 does not hash/);
      expect(lines).toEqual([]);
    } finally {
      storage.close();
    }
  });
});
