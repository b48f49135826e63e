/**
 * `sigsum-log tiles --config FILE --out DIR [--follow]`: the static export of
 * the tlog-tiles read API (docs/tiles.md). It reads the log's database (the
 * log may be running: SQLite WAL readers do not block it) and writes what
 * the log would serve for its last published tree head.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parsePolicy } from '@sigsum-kit/sdk';
import { loadConfig } from './config.js';
import { StorageError, openSqliteStorage, type Storage } from '../storage/index.js';
import { exportTiles } from '../tiles/export.js';
import { terminalProgress } from './progress.js';

/** Public keys of the policy file's witnesses (none without a policy file). */
export function witnessKeysOfPolicyFile(policyFile: string): Uint8Array[] {
  if (policyFile === '') return [];
  return parsePolicy(readFileSync(policyFile)).witnesses.map((w) => w.publicKey);
}

async function runTiles(opts: { config: string; out: string; follow?: boolean; interval: string }): Promise<void> {
  const config = loadConfig(opts.config);
  if (config.storage === 'memory') throw new Error('tiles needs sqlite storage (memory storage has no state on disk)');
  const intervalMs = Number(opts.interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new Error('--interval must be an integer number of milliseconds ≥ 10');
  const witnessKeys = witnessKeysOfPolicyFile(config.policyFile);
  const out = resolve(opts.out);
  const dbPath = join(config.dataDir, 'log.sqlite');
  // Progress on a terminal for the first pass (a whole log's tiles); the passes of --follow write a few files each.
  const once = (first: boolean): void => {
    const progress = first ? terminalProgress('exporting', 'tiles and bundles') : undefined;
    let total = 0;
    const onProgress = (done: number, all: number): void => {
      total = all;
      progress?.update(done, all);
    };
    const r = withStorage(dbPath, (storage) => exportTiles(storage, out, { witnessKeys, onProgress }));
    progress?.end(total, total);
    if (r.checkpointWritten) process.stdout.write(`exported size=${r.size} written=${r.written}\n`);
  };
  once(true);
  if (opts.follow !== true) return;
  let stop = false;
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => (stop = true));
  while (!stop) {
    await new Promise((r) => setTimeout(r, intervalMs));
    if (!stop) once(false);
  }
}

/**
 * Run `fn` on a fresh connection to the log's database. Storage keeps the
 * tree size it read at open (it expects to be the only writer), so each pass
 * opens anew to see what the running log has added since. Opening reads the
 * size and the leaf count in two statements; a commit by the log between
 * them looks like a mismatch, so that one error is retried.
 */
function withStorage<T>(path: string, fn: (s: Storage) => T): T {
  // Like every command but init, never create a database (docs/operations.md).
  if (!existsSync(path)) throw new Error(`the database ${path} does not exist: is the data volume mounted, and is dataDir right?`);
  for (let attempt = 0; ; attempt++) {
    let storage: Storage;
    try {
      storage = openSqliteStorage(path, { create: false, readonly: true });
    } catch (e) {
      if (e instanceof StorageError && e.code === 'storage.corrupt' && attempt < 5) continue;
      throw e;
    }
    try {
      return fn(storage);
    } finally {
      storage.close();
    }
  }
}

/** Add the `tiles` command. */
export function registerTilesCommand(program: Command): void {
  program
    .command('tiles')
    .description('export the tlog-tiles read API (checkpoint, tiles, entry bundles) of the last published tree head to a directory')
    .requiredOption('-c, --config <file>', 'configuration file of the log')
    .requiredOption('--out <dir>', 'directory to write (created if needed)')
    .option('--follow', 'keep exporting each newly published tree head until SIGTERM/SIGINT')
    .option('--interval <ms>', 'polling interval with --follow', '1000')
    .action(runTiles);
}
