/**
 * Persistent witness state: for each log origin the size and root hash of the
 * last tree head this witness cosigned. SQLite via better-sqlite3.
 *
 * The one write operation is a compare-and-swap: a new tree head is stored
 * only if the row still holds the exact state the request was checked
 * against. Two requests racing from the same old size therefore can never
 * both succeed, even across processes sharing the file.
 */
import Database from 'better-sqlite3';
import { bytesEqual } from '@sigsum-kit/sdk';
import { emptyState, type WitnessState } from './core.js';

/** Outcome of {@link WitnessStateStore.compareAndSet}. */
export type CompareAndSetResult = { ok: true } | { ok: false; current: WitnessState };

/** Per-origin witness state in one SQLite file. */
export class WitnessStateStore {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string]>;
  readonly #insert: Database.Statement<[string, bigint, Uint8Array, bigint]>;
  readonly #update: Database.Statement<[bigint, Uint8Array, bigint, string, bigint, Uint8Array]>;
  readonly #cas: (origin: string, expected: WitnessState, next: WitnessState, now: bigint) => CompareAndSetResult;

  /** Open (or create) the database at `path` (`:memory:` works for tests). */
  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    // FULL: a cosignature is only handed out once its state is on disk.
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS witness_state (
      origin TEXT PRIMARY KEY NOT NULL,
      size INTEGER NOT NULL CHECK (size >= 0),
      root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
      updated_at INTEGER NOT NULL
    ) STRICT`);
    this.#get = this.#db.prepare<[string]>('SELECT size, root_hash FROM witness_state WHERE origin = ?').safeIntegers(true);
    this.#insert = this.#db.prepare<[string, bigint, Uint8Array, bigint]>(
      'INSERT INTO witness_state (origin, size, root_hash, updated_at) VALUES (?, ?, ?, ?)',
    );
    this.#update = this.#db.prepare<[bigint, Uint8Array, bigint, string, bigint, Uint8Array]>(
      'UPDATE witness_state SET size = ?, root_hash = ?, updated_at = ? WHERE origin = ? AND size = ? AND root_hash = ?',
    );
    // IMMEDIATE takes the write lock before the read, so the read-compare-write
    // sequence is atomic against other connections too.
    this.#cas = this.#db.transaction((origin: string, expected: WitnessState, next: WitnessState, now: bigint): CompareAndSetResult => {
      const row = this.#read(origin);
      if (row === undefined) {
        const empty = emptyState();
        if (expected.size !== empty.size || !bytesEqual(expected.rootHash, empty.rootHash)) return { ok: false, current: empty };
        this.#insert.run(origin, next.size, next.rootHash, now);
        return { ok: true };
      }
      if (row.size !== expected.size || !bytesEqual(row.rootHash, expected.rootHash)) return { ok: false, current: row };
      const changes = this.#update.run(next.size, next.rootHash, now, origin, expected.size, expected.rootHash).changes;
      if (changes !== 1) return { ok: false, current: this.#read(origin) ?? emptyState() };
      return { ok: true };
    }).immediate;
  }

  #read(origin: string): WitnessState | undefined {
    const row = this.#get.get(origin) as { size: bigint; root_hash: Uint8Array } | undefined;
    if (row === undefined) return undefined;
    return { size: row.size, rootHash: new Uint8Array(row.root_hash) };
  }

  /** The state of `origin`; the empty state if it was never cosigned. */
  get(origin: string): WitnessState {
    return this.#read(origin) ?? emptyState();
  }

  /**
   * Atomically replace the state of `origin` by `next` if it still equals
   * `expected`; otherwise report the current state and change nothing.
   * @param now unix seconds recorded as the update time.
   */
  compareAndSet(origin: string, expected: WitnessState, next: WitnessState, now: bigint): CompareAndSetResult {
    return this.#cas(origin, expected, next, now);
  }

  /** Set the state unconditionally (tests and vector set-up). */
  put(origin: string, state: WitnessState, now = 0n): void {
    this.#db
      .prepare('INSERT INTO witness_state (origin, size, root_hash, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash, updated_at = excluded.updated_at')
      .run(origin, state.size, state.rootHash, now);
  }

  /** Close the database. */
  close(): void {
    this.#db.close();
  }
}
