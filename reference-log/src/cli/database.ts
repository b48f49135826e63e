/**
 * Opening a log's database from the command line. Only `init` creates one:
 * every other command refuses a missing data directory, a missing or empty
 * database file or one without the log's schema, because serving a new,
 * empty tree under the log's key would contradict everything it published.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openMemoryStorage, openSqliteStorage, readGuardFile, type SqliteStorage, type Storage } from '../storage/index.js';
import type { LogConfig } from './config.js';

/** File name of the SQLite database inside the data directory. */
export const DATABASE_FILE = 'log.sqlite';

/** A database that must not be opened; the message says what to check. */
export class DatabaseRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseRefused';
  }
}

/** What the published-tree-head file says, as a sentence to append to a refusal ('' if it is absent). */
function guardNote(config: LogConfig | undefined): string {
  if (config === undefined) return '';
  try {
    const g = readGuardFile(config.publishedTreeHeadFile);
    return g === undefined ? '' : ` The published-tree-head file ${config.publishedTreeHeadFile} says this log has published a tree head of size ${g.size}: a new tree would fork the log.`;
  } catch {
    return '';
  }
}

/**
 * Open an existing SQLite log database at `path`, refusing a missing or
 * empty file with a message naming what to check. `config` (when the path
 * comes from one) adds what the published-tree-head file says.
 */
export function openExistingDatabase(path: string, opts: { readonly?: boolean; config?: LogConfig } = {}): SqliteStorage {
  const where = opts.config === undefined ? '' : ` (dataDir ${opts.config.dataDir})`;
  const only = ' Only `sigsum-log init` creates a database (a secondary\'s: `sigsum-log init --secondary-of KEY`).';
  if (!existsSync(path)) {
    const dir = opts.config?.dataDir;
    const what = dir !== undefined && !existsSync(dir) ? `the data directory ${dir} does not exist` : `the database ${path} does not exist${where}`;
    throw new DatabaseRefused(`${what}: is the data volume mounted, and is dataDir right?${only}${guardNote(opts.config)}`);
  }
  if (statSync(path).size === 0) {
    throw new DatabaseRefused(`the database ${path} is empty (0 bytes): it is not a log's database (an interrupted copy or restore?); restore it from a backup (docs/operations.md).${only}${guardNote(opts.config)}`);
  }
  try {
    return openSqliteStorage(path, { create: false, readonly: opts.readonly === true });
  } catch (err) {
    throw new DatabaseRefused(`cannot open the database ${path}: ${(err as Error).message}.${guardNote(opts.config)}`);
  }
}

/** Open the configured storage of a running node: memory (new each time), or the existing SQLite database. */
export async function openConfiguredStorage(config: LogConfig): Promise<Storage> {
  if (config.storage === 'memory') return openMemoryStorage();
  return openExistingDatabase(join(config.dataDir, DATABASE_FILE), { config });
}
