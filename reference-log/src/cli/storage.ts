/** Where a node's database lives in its data directory, and opening it from the configuration. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openMemoryStorage, openSqliteStorage, type Storage } from '../storage/index.js';
import type { LogConfig } from './config.js';

/** File name of the SQLite database inside the data directory (primary and secondary alike). */
export const DATABASE_FILE = 'log.sqlite';

/** Path of the SQLite database of `config`. */
export function databasePath(config: Pick<LogConfig, 'dataDir'>): string {
  return join(config.dataDir, DATABASE_FILE);
}

/** Open the storage `config` names (creating the data directory, 0700, for SQLite). */
export async function openStorage(config: LogConfig): Promise<Storage> {
  if (config.storage === 'memory') return openMemoryStorage();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return openSqliteStorage(databasePath(config));
}
