/**
 * The schema-level logic shared by both backends, written against a minimal
 * synchronous SQL driver so SQLite-on-disk and sql.js behave identically.
 */
import { fromHex, toHex, type Cosignature } from '@sigsum-kit/sdk';
import { type PerfectNode } from '@sigsum-kit/sdk/internal';
import { META, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import {
  StorageError,
  type LeafRecord,
  type PublishedTreeHead,
  type StartupMode,
  type Storage,
} from './types.js';

/** A SQL parameter. */
export type SqlValue = number | string | Uint8Array | null;

/** The few operations the storage needs from an SQL engine. */
export interface SqlDriver {
  /** Execute statements without results (schema, pragmas). */
  exec(sql: string): void;
  /** Run one statement with parameters. */
  run(sql: string, params: readonly SqlValue[]): void;
  /** First row as an array of column values, or undefined. */
  get(sql: string, params: readonly SqlValue[]): SqlValue[] | undefined;
  /** All rows. */
  all(sql: string, params: readonly SqlValue[]): SqlValue[][];
  /** Run `fn` in one transaction (rolled back if it throws). */
  transaction(fn: () => void): void;
  /** Approximate bytes used. */
  sizeBytes(): number;
  /** Close the engine. */
  close(): void;
}

function asBytes(v: SqlValue | undefined, what: string): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new StorageError('storage.corrupt', `${what}: expected a blob`);
}

function asNumber(v: SqlValue | undefined, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new StorageError('storage.corrupt', `${what}: expected an integer`);
}

function encodeCosignatures(list: readonly Cosignature[]): string {
  return list.map((c) => `${toHex(c.keyHash)} ${c.timestamp} ${toHex(c.signature)}`).join('\n');
}

function decodeCosignatures(text: string): Cosignature[] {
  if (text === '') return [];
  return text.split('\n').map((line) => {
    const [kh, ts, sig] = line.split(' ');
    if (kh === undefined || ts === undefined || sig === undefined) throw new StorageError('storage.corrupt', 'bad stored cosignature');
    return { keyHash: fromHex(kh, 'key_hash', 32), timestamp: BigInt(ts), signature: fromHex(sig, 'signature', 64) };
  });
}

/** Rows per multi-row INSERT: 3 columns × 64 stays far below SQLite's 32,766 parameters. */
const ROWS_PER_INSERT = 64;
const insertSql = new Map<string, string>();

/**
 * Insert `count` rows of 3 columns into `table (cols)` with few statements:
 * full statements of {@link ROWS_PER_INSERT} rows (one prepared statement,
 * reused), then one for the remainder. `row(i, out)` appends row i's values.
 */
function insertRows(db: SqlDriver, table: string, count: number, row: (i: number, out: SqlValue[]) => void): void {
  const statement = (rows: number): string => {
    const key = `${table}/${rows}`;
    let sql = insertSql.get(key);
    if (sql === undefined) {
      sql = `INSERT INTO ${table} VALUES ${Array.from({ length: rows }, () => '(?, ?, ?)').join(', ')}`;
      insertSql.set(key, sql);
    }
    return sql;
  };
  const params: SqlValue[] = [];
  let i = 0;
  for (; i + ROWS_PER_INSERT <= count; i += ROWS_PER_INSERT) {
    params.length = 0;
    for (let j = i; j < i + ROWS_PER_INSERT; j++) row(j, params);
    db.run(statement(ROWS_PER_INSERT), params);
  }
  if (i < count) {
    params.length = 0;
    for (let j = i; j < count; j++) row(j, params);
    db.run(statement(count - i), params);
  }
}

/** {@link Storage} over an {@link SqlDriver}. */
export class SqlStorage implements Storage {
  readonly backend: 'sqlite' | 'memory';
  readonly #db: SqlDriver;
  #size: number;
  #closed = false;

  constructor(db: SqlDriver, backend: 'sqlite' | 'memory') {
    this.#db = db;
    this.backend = backend;
    db.exec(SCHEMA_SQL);
    const version = this.#meta(META.schemaVersion);
    if (version === undefined) {
      this.#setMeta(META.schemaVersion, String(SCHEMA_VERSION));
    } else if (version !== String(SCHEMA_VERSION)) {
      throw new StorageError('storage.schema', `unsupported schema version ${version} (expected ${SCHEMA_VERSION})`);
    }
    const size = this.#meta(META.treeSize);
    this.#size = size === undefined ? 0 : Number(size);
    // The stored size and the leaves must agree; a mismatch means a corrupt file.
    const row = db.get('SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves', []);
    const count = asNumber(row?.[0], 'leaf count');
    if (count !== this.#size) {
      throw new StorageError('storage.corrupt', `tree size ${this.#size} in meta but ${count} leaves stored`);
    }
  }

  #check(): void {
    if (this.#closed) throw new StorageError('storage.closed', 'storage is closed');
  }

  #meta(key: string): string | undefined {
    const row = this.#db.get('SELECT value FROM meta WHERE key = ?', [key]);
    if (row === undefined) return undefined;
    const v = row[0];
    return v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v);
  }

  #setMeta(key: string, value: string): void {
    this.#db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  treeSize(): number {
    this.#check();
    return this.#size;
  }

  getNode(level: number, index: number): Uint8Array {
    this.#check();
    const row =
      level === 0
        ? this.#db.get('SELECT leaf_hash FROM leaves WHERE idx = ?', [index])
        : this.#db.get('SELECT hash FROM nodes WHERE level = ? AND idx = ?', [level, index]);
    if (row === undefined) throw new StorageError('storage.missing-node', `no stored node at level ${level}, index ${index}`);
    return asBytes(row[0], 'node hash');
  }

  getLeaves(start: number, end: number): Uint8Array[] {
    this.#check();
    const stop = Math.min(end, this.#size);
    if (start >= stop) return [];
    return this.#db.all('SELECT leaf FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx', [start, stop]).map((r) => asBytes(r[0], 'leaf'));
  }

  leafIndex(leafHash: Uint8Array): number | undefined {
    this.#check();
    const row = this.#db.get('SELECT idx FROM leaves WHERE leaf_hash = ?', [leafHash]);
    return row === undefined ? undefined : asNumber(row[0], 'leaf index');
  }

  appendLeaves(leaves: readonly LeafRecord[], nodes: readonly PerfectNode[]): void {
    this.#check();
    if (leaves.length === 0) return;
    const start = this.#size;
    this.#db.transaction(() => {
      insertRows(this.#db, 'leaves (idx, leaf_hash, leaf)', leaves.length, (i, out) => out.push(start + i, leaves[i]!.leafHash, leaves[i]!.leaf));
      const interior = nodes.filter((n) => n.level !== 0);
      insertRows(this.#db, 'nodes (level, idx, hash)', interior.length, (i, out) => out.push(interior[i]!.level, interior[i]!.index, interior[i]!.hash));
      this.#setMeta(META.treeSize, String(start + leaves.length));
    });
    this.#size = start + leaves.length;
  }

  latestTreeHead(): PublishedTreeHead | undefined {
    this.#check();
    const row = this.#db.get('SELECT size, root_hash, signature, cosignatures, published_at FROM tree_heads ORDER BY id DESC LIMIT 1', []);
    if (row === undefined) return undefined;
    return {
      size: asNumber(row[0], 'size'),
      rootHash: asBytes(row[1], 'root_hash'),
      signature: asBytes(row[2], 'signature'),
      cosignatures: decodeCosignatures(String(row[3])),
      publishedAt: asNumber(row[4], 'published_at'),
    };
  }

  saveTreeHead(head: PublishedTreeHead): void {
    this.#check();
    this.#db.transaction(() => {
      this.#db.run('INSERT INTO tree_heads (size, root_hash, signature, cosignatures, published_at) VALUES (?, ?, ?, ?, ?)', [
        head.size,
        head.rootHash,
        head.signature,
        encodeCosignatures(head.cosignatures),
        head.publishedAt,
      ]);
      // Only the newest few heads are kept: the newest is what matters for rollback protection.
      this.#db.run('DELETE FROM tree_heads WHERE id < (SELECT MAX(id) FROM tree_heads) - 1000', []);
      this.#setMeta(META.startupMode, 'saved');
    });
  }

  startupMode(): StartupMode | undefined {
    this.#check();
    const m = this.#meta(META.startupMode);
    if (m === undefined) return undefined;
    if (m === 'saved' || m === 'empty' || m === 'local-tree') return m;
    throw new StorageError('storage.corrupt', `unknown start-up mode ${JSON.stringify(m)}`);
  }

  setStartupMode(mode: StartupMode): void {
    this.#check();
    this.#setMeta(META.startupMode, mode);
  }

  logPublicKey(): Uint8Array | undefined {
    this.#check();
    const v = this.#meta(META.logPublicKey);
    return v === undefined ? undefined : fromHex(v, 'log_public_key', 32);
  }

  setLogPublicKey(key: Uint8Array): void {
    this.#check();
    const stored = this.logPublicKey();
    if (stored !== undefined) {
      if (toHex(stored) !== toHex(key)) {
        throw new StorageError('storage.key-mismatch', `storage belongs to log key ${toHex(stored)}, not ${toHex(key)}`);
      }
      return;
    }
    this.#setMeta(META.logPublicKey, toHex(key));
  }

  sizeBytes(): number {
    return this.#db.sizeBytes();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
