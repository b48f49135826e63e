/**
 * Durable storage in an SQLite file (better-sqlite3): WAL journal and
 * `synchronous=FULL`, so a committed append survives power loss.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { SqlStorage, type SqlDriver, type SqlValue } from './sql-storage.js';

class BetterSqliteDriver implements SqlDriver {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #stmts = new Map<string, Database.Statement>();
  readonly #rowStmts = new Map<string, Database.Statement>();

  constructor(path: string) {
    this.#path = path;
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.defaultSafeIntegers(false);
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

/** Open (creating if needed) the log database at `path`. */
export function openSqliteStorage(path: string): SqlStorage {
  return new SqlStorage(new BetterSqliteDriver(path), 'sqlite');
}
