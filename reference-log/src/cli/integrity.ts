/**
 * Integrity commands of `sigsum-log` (docs/operations.md):
 *
 *   sigsum-log check  (-c FILE | --database FILE)   recompute everything from the leaves; exit 1 on damage
 *   sigsum-log backup -c FILE DEST                  online snapshot via SQLite's backup API, then checked
 *
 * Both read the database through a read-only connection in one read
 * transaction, so a running log keeps publishing meanwhile.
 */
import type { Command } from 'commander';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkStorage, readGuardFile, type CheckReport, type GuardHead, type Storage } from '../storage/index.js';
import { loadConfig, type LogConfig } from './config.js';
import { DATABASE_FILE, openExistingDatabase } from './database.js';

/** Print the report as `key=value` lines; true if the database is whole. */
function printReport(report: CheckReport, guard: GuardHead | undefined): boolean {
  const lines = [
    `tree_size=${report.treeSize}`,
    `leaves_checked=${report.leaves}`,
    `nodes_checked=${report.nodes}`,
    `tree_heads_checked=${report.treeHeads}`,
    `newest_tree_head_size=${report.newestHeadSize ?? ''}`,
    `published_tree_head_file_size=${guard?.size ?? ''}`,
  ];
  const d = report.damage;
  lines.push(d === undefined ? 'result=ok' : `result=damaged\nfirst_bad_index=${d.index}\nerror=${d.code}: ${d.message}`);
  process.stdout.write(lines.join('\n') + '\n');
  if (d !== undefined) process.stderr.write(`sigsum-log: the database is damaged at index ${d.index}: ${d.message}\n`);
  return d === undefined;
}

function sqliteConfig(path: string): LogConfig {
  const config = loadConfig(path);
  if (config.storage !== 'sqlite') throw new Error('storage: check and backup need sqlite storage (memory storage has nothing on disk)');
  return config;
}

/**
 * A check of a large database takes minutes: on a terminal, a line on
 * standard error redrawn in place (at most every 250 ms) says how far it
 * is; in scripts (no TTY) nothing is added to the output.
 */
function progressLine(what: string): { update: (done: number, total: number) => void; end: (done: number, total: number) => void } | undefined {
  const tty = process.stderr.isTTY ? process.stderr : undefined;
  if (tty === undefined) return undefined;
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number): void => {
    tty.write(`\r${what}: ${done}/${total} leaves (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)`);
    drawn = true;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (drawn && now - last < 250) return;
      last = now;
      draw(done, total);
    },
    end(done, total) {
      if (!drawn) return;
      draw(done, total);
      tty.write('\n');
      drawn = false;
    },
  };
}

async function checked(storage: Storage, guard: GuardHead | undefined, what = 'checking'): Promise<boolean> {
  const progress = progressLine(what);
  try {
    const report = await checkStorage(storage, guard, progress?.update);
    progress?.end(report.leaves, report.treeSize);
    return printReport(report, guard);
  } finally {
    storage.close();
  }
}

async function runCheck(opts: { config?: string; database?: string }): Promise<void> {
  if ((opts.config === undefined) === (opts.database === undefined)) throw new Error('give exactly one of --config and --database');
  let ok: boolean;
  if (opts.config !== undefined) {
    const config = sqliteConfig(opts.config);
    // Read first: it is written after the database, so the snapshot must contain it.
    const guard = readGuardFile(config.publishedTreeHeadFile);
    ok = await checked(openExistingDatabase(join(config.dataDir, DATABASE_FILE), { readonly: true, config }), guard);
  } else {
    ok = await checked(openExistingDatabase(resolve(opts.database!), { readonly: true }), undefined);
  }
  if (!ok) process.exitCode = 1;
}

async function runBackup(dest: string, opts: { config: string }): Promise<void> {
  const config = sqliteConfig(opts.config);
  const out = resolve(dest);
  if (existsSync(out)) throw new Error(`${out} already exists; refusing to overwrite`);
  if (!existsSync(dirname(out))) throw new Error(`the directory ${dirname(out)} does not exist`);
  const guard = readGuardFile(config.publishedTreeHeadFile);
  const tmp = `${out}.partial`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const source = openExistingDatabase(join(config.dataDir, DATABASE_FILE), { readonly: true, config });
  try {
    await source.backup(tmp);
  } finally {
    source.close();
  }
  // Opened read-write so that closing it folds its WAL back into the one file that is renamed.
  const ok = await checked(openExistingDatabase(tmp), guard, 'checking the backup');
  if (!ok) {
    process.stderr.write(`sigsum-log: the backup failed its check and was left in ${tmp}; the live database is damaged too (run \`sigsum-log check\`)\n`);
    process.exitCode = 1;
    return;
  }
  renameSync(tmp, out);
  process.stdout.write(`backup=${out}\n`);
}

/** Register `check` and `backup` on the `sigsum-log` program. */
export function registerIntegrityCommands(program: Command): void {
  program
    .command('check')
    .description('check a log database: every leaf, node, tree head root and signature recomputed from the leaves; exit 1 on damage (safe on a running log)')
    .option('-c, --config <file>', 'the node\'s configuration file (also checks its published-tree-head file)')
    .option('--database <file>', 'a database file, e.g. a backup')
    .action(runCheck);
  program
    .command('backup')
    .description('write a consistent snapshot of a (running) log\'s database to DEST and check it (docs/operations.md)')
    .argument('<dest>', 'the new backup file (must not exist)')
    .requiredOption('-c, --config <file>', 'configuration file')
    .action(runBackup);
}
