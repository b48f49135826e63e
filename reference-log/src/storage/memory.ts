/**
 * In-memory storage on sql.js (SQLite compiled to WebAssembly): the same
 * schema and code path as the file backend, nothing on disk.
 */
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import { SqlStorage, type SqlDriver, type SqlValue } from './sql-storage.js';

class SqlJsDriver implements SqlDriver {
  readonly #db: Database;
  readonly #stmts = new Map<string, Statement>();

  constructor(db: Database) {
    this.#db = db;
  }

  #stmt(sql: string, params: readonly SqlValue[]): Statement {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    s.bind(params as SqlValue[]);
    return s;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }
  run(sql: string, params: readonly SqlValue[]): void {
    const s = this.#stmt(sql, params);
    try {
      s.step();
    } finally {
      s.reset();
    }
  }
  get(sql: string, params: readonly SqlValue[]): SqlValue[] | undefined {
    const s = this.#stmt(sql, params);
    try {
      return s.step() ? (s.get() as SqlValue[]) : undefined;
    } finally {
      s.reset();
    }
  }
  all(sql: string, params: readonly SqlValue[]): SqlValue[][] {
    const s = this.#stmt(sql, params);
    const rows: SqlValue[][] = [];
    try {
      while (s.step()) rows.push(s.get() as SqlValue[]);
    } finally {
      s.reset();
    }
    return rows;
  }
  transaction(fn: () => void): void {
    this.#db.exec('BEGIN');
    try {
      fn();
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }
  sizeBytes(): number {
    const row = this.get('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()', []);
    return typeof row?.[0] === 'number' ? row[0] : 0;
  }
  close(): void {
    for (const s of this.#stmts.values()) s.free();
    this.#db.close();
  }
}

// Loaded on first use: a log on SQLite never pays for the WebAssembly engine.
let sqlJs: Promise<SqlJsStatic> | undefined;

/** Open a fresh, empty in-memory storage. */
export async function openMemoryStorage(): Promise<SqlStorage> {
  sqlJs ??= import('sql.js').then((m) => m.default());
  const SQL = await sqlJs;
  return new SqlStorage(new SqlJsDriver(new SQL.Database()), 'memory');
}
