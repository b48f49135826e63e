/**
 * Hot-standby commands of `sigsum-log` (docs/operations.md):
 *
 *   sigsum-log secondary -c FILE     replicate from the primary, serve get-secondary-tree-head
 *   sigsum-log promote -c FILE ...   turn a stopped secondary's database into the log's primary
 *
 * and the primary's side: the replication gate built from the config, and
 * the start-up check against a newer published tree head.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LogClient, bytesEqual, formatOpenSshPublicKey, fromHex, keyHash, parseCosignedTreeHeadBody, parseTreeHeadBody, toHex, type CosignedTreeHead, type TreeHead } from '@sigsum-kit/sdk';
import { atomicWriteFile, isPkcs11Uri, loadSigner, readPublicKeyFile, readTextFile } from '@sigsum-kit/sdk/node';
import { openSigningKey } from './signing-key.js';
import { internalListenerLimits, loadConfig, parseHostPort, type LogConfig } from './config.js';
import { ConfigError } from '../errors.js';
import { readGuardFile, writeGuardFile, type Storage } from '../storage/index.js';
import { DATABASE_FILE, openConfiguredStorage, openExistingDatabase } from './database.js';
import { checkNotSuperseded, promoteStorage, secondaryGate, startSecondary, type SecondaryGate } from '../replication/index.js';
import type { ReplicationGate } from '../sequencer/gate.js';
import { createMetrics, instrumentStorage } from '../metrics/index.js';
import { closeOnSignals } from './shutdown.js';
import { createLogger, type Logger } from '../logger.js';
import { refuseExposedKeyFile, refuseExposedSecret, writeSecretFile } from './secrets.js';

/** A public key given as 64 hex digits or as an OpenSSH public key file. */
export async function readPublicKeyOption(value: string, what: string): Promise<Uint8Array> {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return fromHex(value, what, 32);
  return (await readPublicKeyFile(value)).publicKey;
}

/**
 * The log's published tree head from a URL (the log's public base URL;
 * `get-tree-head` is fetched) or a file holding a `get-tree-head` answer,
 * or just `size=` and `root_hash=` lines (e.g. a witness's stored state;
 * then there is no log signature to check).
 */
export async function loadTreeHead(source: string): Promise<CosignedTreeHead | TreeHead> {
  if (/^https?:\/\//i.test(source)) {
    const url = source.endsWith('/') ? source : source + '/';
    return new LogClient({ url, retries: 2, timeoutMs: 10_000 }).getTreeHead();
  }
  const text = await readTextFile(source);
  try {
    return parseCosignedTreeHeadBody(text);
  } catch (err) {
    // Not a signed head: accept a bare size/root pair, else report the first error.
    try {
      return parseTreeHeadBody(text);
    } catch {
      throw err;
    }
  }
}

/** The primary's replication settings derived from its config (gate undefined without a secondary). */
export interface PrimaryReplication {
  /** The gate for `startLog`, or undefined when no secondary is configured. */
  gate: ReplicationGate | undefined;
  /** Internal API options for `startLog`. */
  options: { token?: string; health?: () => string; api?: 'sigsum-kit' | 'log-go' };
  /** The secondary's last observations (metrics), or undefined when no secondary is configured. */
  secondary?: SecondaryGate;
}

/** Build the primary's gate and `/health` lines from its config. */
export async function primaryReplication(config: LogConfig, storage: Storage, logger: Logger): Promise<PrimaryReplication> {
  const token = config.replicationToken === '' ? undefined : config.replicationToken;
  const api = config.internalApi;
  if (config.secondaryUrl === '') return { gate: undefined, options: { token, api, health: () => 'replication=none\n' } };
  const secondaryPublicKey = await readPublicKeyOption(config.secondaryPublicKey, 'secondaryPublicKey');
  const g: SecondaryGate = secondaryGate({ url: config.secondaryUrl, secondaryPublicKey, storage, token, logger });
  const health = (): string => {
    const err = g.lastError();
    return `replication=${err === undefined ? 'ok' : 'failing'}\nreplicated_size=${g.replicatedSize() ?? ''}\n` + (err === undefined ? '' : `replication_error=${err.replace(/\n/g, ' ')}\n`);
  };
  return { gate: g.gate, options: { token, api, health }, secondary: g };
}

/** Refuse to start a primary if `source` shows a newer or contradicting published head. */
export async function checkPublishedTreeHead(source: string, storage: Storage, logPublicKey: Uint8Array): Promise<void> {
  let head: CosignedTreeHead | TreeHead;
  try {
    head = await loadTreeHead(source);
  } catch (err) {
    throw new Error(`cannot read the published tree head from ${source} (${(err as Error).message}); refusing to start as primary`);
  }
  await checkNotSuperseded(storage, logPublicKey, head);
}

/** Whether an HTTP server answers at `url` (any status) within a second. */
async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function runSecondary(opts: { config: string; internalListen?: string; primaryUrl?: string }): Promise<void> {
  const config = loadConfig(opts.config);
  if (opts.internalListen !== undefined) config.internalListen = opts.internalListen;
  if (opts.primaryUrl !== undefined) config.primaryUrl = opts.primaryUrl;
  if (config.primaryUrl === '') throw new ConfigError('primaryUrl: required for a secondary');
  if (config.primaryApi === 'log-go' && config.primaryPublicUrl === '') throw new ConfigError('primaryPublicUrl: required with primaryApi "log-go"');
  if (config.internalListen === '') throw new ConfigError('internalListen: a secondary needs its internal listener');
  const listen = parseHostPort(config.internalListen, 'internalListen');
  if (config.replicationToken !== '') refuseExposedSecret(resolve(opts.config), 'the replication token');
  refuseExposedKeyFile(config.keyFile);
  const log = createLogger(config.logLevel);
  const signer = await openSigningKey(config.keyFile, config.publicKeyFile, 'publicKeyFile', (w) => process.stderr.write(`sigsum-log: warning: ${w}\n`), {
    signTimeoutMs: config.signTimeoutMs,
  });
  const metrics = createMetrics('secondary'); // docs/metrics.md
  const storage = instrumentStorage(await openConfiguredStorage(config), metrics);
  const logKey = storage.logPublicKey();
  if (logKey !== undefined && bytesEqual(logKey, signer.publicKey)) {
    storage.close();
    throw new Error('this database belongs to the secondary\'s own key; initialise a secondary with `sigsum-log init --secondary-of <log public key>`');
  }
  // Published heads mean a (former) primary's database, which may hold leaves the current primary never had.
  const published = storage.latestTreeHead();
  if (published !== undefined) {
    storage.close();
    throw new Error(
      `this database holds published tree heads (up to size ${published.size}): it belongs to a (former) primary; ` +
        'a secondary needs a fresh database (`sigsum-log init --secondary-of <log public key>`)',
    );
  }
  const secondary = await startSecondary({
    storage,
    signer,
    primaryUrl: config.primaryUrl,
    primaryApi: config.primaryApi,
    primaryPublicUrl: config.primaryPublicUrl,
    token: config.replicationToken === '' ? undefined : config.replicationToken,
    host: listen.host,
    port: listen.port,
    intervalMs: config.replicationIntervalMs,
    batchSize: config.maxRange,
    logger: log,
    limits: internalListenerLimits(config),
    metrics,
    // A person watching a terminal gets a progress line; journald and scripts get log lines.
    progressTty: process.stderr.isTTY ? process.stderr : undefined,
  });
  closeOnSignals(secondary);
}

async function runPromote(opts: { config: string; logKey: string; treeHead: string; writeConfig?: string }): Promise<void> {
  const config = loadConfig(opts.config);
  if (config.storage !== 'sqlite') throw new ConfigError('storage: promotion needs the secondary\'s sqlite database');
  const out = resolve(opts.writeConfig ?? join(dirname(resolve(opts.config)), 'primary.json'));
  if (existsSync(out)) throw new Error(`${out} already exists; refusing to overwrite (choose another --write-config)`);
  // Promoting under a running secondary would race its replication; it must be stopped first.
  if (config.internalListen !== '') {
    const { host, port } = parseHostPort(config.internalListen, 'internalListen');
    if (port !== 0 && (await answers(`http://${host.includes(':') ? `[${host}]` : host}:${port}/health`))) {
      throw new Error(`something still answers on ${config.internalListen} (the secondary?); stop it before promoting`);
    }
  }
  if (config.replicationToken !== '') refuseExposedSecret(resolve(opts.config), 'the replication token');
  const logKey = isPkcs11Uri(opts.logKey) ? opts.logKey : resolve(opts.logKey);
  refuseExposedKeyFile(logKey);
  const signer = await loadSigner(logKey);
  const head = await loadTreeHead(opts.treeHead);
  const storage = openExistingDatabase(join(config.dataDir, DATABASE_FILE), { config });
  let result;
  try {
    result = await promoteStorage(storage, signer.publicKey, head);
    // The new primary's published-tree-head file: the head checked here (or a newer one the file already holds).
    const existing = readGuardFile(config.publishedTreeHeadFile);
    const size = Number(head.size);
    if (existing !== undefined) await checkNotSuperseded(storage, signer.publicKey, { size: BigInt(existing.size), rootHash: existing.rootHash });
    if (existing === undefined || existing.size < size) {
      const stored = storage.latestTreeHead();
      writeGuardFile(config.publishedTreeHeadFile, stored !== undefined && stored.size >= size ? stored : { size, rootHash: head.rootHash, cosignatures: [] });
    }
  } finally {
    storage.close();
  }
  // The primary's config: the secondary's, with the log key and without the secondary-only keys.
  const raw = JSON.parse(readFileSync(opts.config, 'utf8')) as Record<string, unknown>;
  delete raw.primaryUrl;
  delete raw.primaryApi;
  delete raw.primaryPublicUrl;
  delete raw.replicationIntervalMs;
  raw.keyFile = logKey;
  // publicKeyFile named the secondary's own key; a token log key gets its public key file next to the new config.
  delete raw.publicKeyFile;
  if (isPkcs11Uri(logKey)) {
    raw.publicKeyFile = `${out.replace(/\.json$/, '')}-log.pub`;
    await atomicWriteFile(raw.publicKeyFile as string, formatOpenSshPublicKey(signer.publicKey), 0o644);
  }
  raw.dataDir = config.dataDir;
  raw.publishedTreeHeadFile = config.publishedTreeHeadFile;
  for (const k of ['policyFile', 'rateLimitFile']) if (typeof raw[k] === 'string' && raw[k] !== '') raw[k] = resolve(dirname(resolve(opts.config)), raw[k]);
  raw.$comment = `primary promoted from secondary ${resolve(opts.config)} at ${new Date().toISOString()}`;
  // Owner-only: it carries the replication token.
  writeSecretFile(out, JSON.stringify(raw, null, 2) + '\n');
  process.stdout.write(
    `promoted: tree_size=${result.treeSize} published_size=${result.publishedSize} startup_mode=local-tree\n` +
      `  log key hash: ${toHex(keyHash(signer.publicKey))}\n` +
      `  config:       ${out}\n` +
      `next: sigsum-log primary -c ${out}\n`,
  );
}

/** Register `secondary` and `promote` on the `sigsum-log` program. */
export function registerReplicationCommands(program: Command): void {
  program
    .command('secondary')
    .description('run a hot-standby secondary: replicate from the primary, serve get-secondary-tree-head (docs/operations.md)')
    .requiredOption('-c, --config <file>', 'configuration file (keyFile = the secondary\'s own key; primaryUrl)')
    .option('--internal-listen <host:port>', 'override the internal listen address')
    .option('--primary-url <url>', 'override the primary\'s internal URL')
    .action(runSecondary);
  program
    .command('promote')
    .description('turn a STOPPED secondary into the log\'s primary, if its tree contains the last published tree head')
    .requiredOption('-c, --config <file>', 'the secondary\'s configuration file')
    .requiredOption('--log-key <file>', 'the log\'s private key (or its public key file with the private key in ssh-agent)')
    .requiredOption('--tree-head <file|url>', 'the last published tree head: the log\'s public URL, or a file with a get-tree-head answer')
    .option('--write-config <file>', 'where to write the primary\'s configuration (default: primary.json next to the config)')
    .action(runPromote);
}
