/**
 * Durable storage in an SQLite file (better-sqlite3): WAL journal and
 * `synchronous=FULL`, so a committed append survives power loss.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { SqlStorage, type SqlDriver, type SqlValue } from './sql-storage.js';
import { verifyTreeApart, type ApartVerification } from './verify-apart.js';

class BetterSqliteDriver implements SqlDriver {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #stmts = new Map<string, Database.Statement>();
  readonly #rowStmts = new Map<string, Database.Statement>();

  constructor(path: string, opts: SqliteOpenOptions) {
    this.#path = path;
    this.#db = new Database(path, { fileMustExist: opts.create === false, readonly: opts.readonly === true });
    if (opts.readonly !== true) {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
    }
    this.#db.pragma('foreign_keys = ON');
    this.#db.defaultSafeIntegers(false);
  }

  /** The database file. */
  get path(): string {
    return this.#path;
  }

  /** SQLite's online backup of this database into the new file `dest`, in one step (one consistent read). */
  async backup(dest: string): Promise<void> {
    // All remaining pages per step: a step-by-step copy restarts whenever the running log writes.
    await this.#db.backup(dest, { progress: () => 0x7fffffff });
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }
  run(sql: string, params: readonly SqlValue[]): void {
    this.#stmt(sql).run(...params);
  }
  get(sql: string, params: readonly SqlValue[]): SqlValue[] | undefined {
    return this.#rowStmt(sql).get(...params) as SqlValue[] | undefined;
  }
  all(sql: string, params: readonly SqlValue[]): SqlValue[][] {
    return this.#rowStmt(sql).all(...params) as SqlValue[][];
  }
  /** A statement returning rows as arrays, switched to raw mode once when prepared. */
  #rowStmt(sql: string): Database.Statement {
    let s = this.#rowStmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql).raw(true);
      this.#rowStmts.set(sql, s);
    }
    return s;
  }
  transaction(fn: () => void): void {
    this.#db.transaction(fn)();
  }
  sizeBytes(): number {
    let total = 0;
    for (const suffix of ['', '-wal']) {
      try {
        total += statSync(this.#path + suffix).size;
      } catch {
        // The WAL file may not exist (checkpointed or never written).
      }
    }
    return total;
  }
  close(): void {
    this.#db.close();
  }
}

/** How to open a log database file. */
export interface SqliteOpenOptions {
  /**
   * Create the file and schema if missing (default true for programmatic
   * use). The CLI sets it only in `init`: every other command refuses a
   * missing or schema-less database rather than start a new tree.
   */
  create?: boolean;
  /** Open read-only (status, check): never writes, never blocks the running log. */
  readonly?: boolean;
}

/** An open SQLite log database: the storage plus SQLite's online backup. */
export class SqliteStorage extends SqlStorage {
  readonly #driver: BetterSqliteDriver;
  constructor(driver: BetterSqliteDriver, create: boolean) {
    super(driver, 'sqlite', { create });
    this.#driver = driver;
  }
  /** Copy a consistent snapshot of the database into the new file `dest` (SQLite's backup API). */
  backup(dest: string): Promise<void> {
    return this.#driver.backup(dest);
  }
  /** {@link Storage.verifyTreeApart}: in a child process with its own read-only connection (verify-apart.ts). */
  verifyTreeApart(start: number, end: number, roots: ReadonlyMap<number, Uint8Array>): ApartVerification {
    return verifyTreeApart(this.#driver.path, start, end, roots);
  }
}

/** Open the log database at `path` (see {@link SqliteOpenOptions}). */
export function openSqliteStorage(path: string, opts: SqliteOpenOptions = {}): SqliteStorage {
  const driver = new BetterSqliteDriver(path, opts);
  try {
    return new SqliteStorage(driver, opts.create !== false && opts.readonly !== true);
  } catch (err) {
    driver.close();
    throw err;
  }
}
