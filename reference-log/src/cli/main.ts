#!/usr/bin/env node
/**
 * `sigsum-log`: initialise, run and inspect a Sigsum reference log.
 *
 *   sigsum-log init --dir DIR        key (OpenSSH, 0600, or in a PKCS#11 token) + config.json + empty database
 *   sigsum-log primary --config FILE run the log until SIGTERM/SIGINT
 *   sigsum-log status --config FILE  print the stored state
 *   sigsum-log check / backup        integrity check, online backup (integrity.ts)
 *   sigsum-log witness ...           run a reference witness
 */
import { Command } from 'commander';
import { mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_KEY_COMMENT, formatOpenSshPublicKey, keyHash, toHex } from '@sigsum-kit/sdk';
import { consistencyProof } from '@sigsum-kit/sdk/internal';
import { atomicWriteFile, generateKeyFiles, generatePkcs11Key, isPkcs11Uri } from '@sigsum-kit/sdk/node';
import { openSigningKey } from './signing-key.js';
import { registerWitnessCommand } from './witness.js';
import { defaultConfigText, internalListenerLimits, loadConfig, parseHostPort, publicListenerLimits } from './config.js';
import { ConfigError } from '../errors.js';
import { cosignerFromPolicyFile } from './cosigning.js';
import { openSqliteStorage, readGuardFile } from '../storage/index.js';
import { DATABASE_FILE, openConfiguredStorage, openExistingDatabase } from './database.js';
import { registerIntegrityCommands } from './integrity.js';
import { startLog } from '../log.js';
import { createLogger } from '../logger.js';
import { createMetrics, instrumentStorage, observeReplication, replicationLag } from '../metrics/index.js';
import { checkPublishedTreeHead, primaryReplication, readPublicKeyOption, registerReplicationCommands } from './replication.js';
import { registerWitnessInfoCommand } from './witness-info.js';
import { closeOnSignals } from './shutdown.js';
import { refuseExposedKeyFile, refuseExposedSecret, writeSecretFile } from './secrets.js';
import { registerTilesCommand, witnessKeysOfPolicyFile } from './tiles.js';
import { addHelpExamples } from './examples.js';

export { DATABASE_FILE } from './database.js';

function fail(message: string): never {
  process.stderr.write(`sigsum-log: ${message}\n`);
  process.exit(1);
}

async function runInit(opts: { dir: string; storage: string; secondaryOf?: string; pkcs11?: string }): Promise<void> {
  const dir = resolve(opts.dir);
  const configPath = join(dir, 'config.json');
  const keyPath = join(dir, 'log.key');
  const publicKeyPath = `${keyPath}.pub`;
  if (opts.storage !== 'sqlite' && opts.storage !== 'memory') fail(`--storage must be sqlite or memory`);
  if (opts.pkcs11 !== undefined && !isPkcs11Uri(opts.pkcs11)) fail('--pkcs11 expects a pkcs11: URI (RFC 7512)');
  for (const p of [configPath, keyPath, publicKeyPath, join(dir, 'data', DATABASE_FILE), join(dir, 'published-tree-head')]) {
    if (existsSync(p)) fail(`${p} already exists; refusing to overwrite`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let publicKey: Uint8Array;
  let keyFile = 'log.key';
  let keyLine: string;
  if (opts.pkcs11 === undefined) {
    publicKey = (await generateKeyFiles(keyPath)).publicKey;
    keyLine = `  private key: ${keyPath} (mode 0600)\n`;
  } else {
    // The key stays in the token; only its public half is written here.
    const { signer, created } = await generatePkcs11Key(opts.pkcs11);
    for (const w of signer.warnings) process.stderr.write(`sigsum-log: warning: ${w}\n`);
    publicKey = signer.publicKey;
    keyFile = signer.uri;
    await signer.close();
    await atomicWriteFile(publicKeyPath, formatOpenSshPublicKey(publicKey, { comment: DEFAULT_KEY_COMMENT }), 0o644);
    keyLine = `  private key: ${created ? 'generated in' : 'existing key in'} the token (${keyFile})\n`;
  }
  const raw = JSON.parse(defaultConfigText()) as Record<string, unknown>;
  Object.assign(raw, { keyFile, storage: opts.storage });
  // A token key is checked against its public key file at every start (a file key is its own proof).
  if (opts.pkcs11 !== undefined) raw.publicKeyFile = 'log.key.pub';
  // Owner-only: the file is where the replication token goes.
  writeSecretFile(configPath, JSON.stringify(raw, null, 2) + '\n');
  const config = loadConfig(configPath);
  if (config.storage === 'sqlite') {
    // The one place a database is created.
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const storage = openSqliteStorage(join(config.dataDir, DATABASE_FILE), { create: true });
    // Hot standby: a secondary's database belongs to the log's key, not to the node's own key.
    storage.setLogPublicKey(opts.secondaryOf === undefined ? publicKey : await readPublicKeyOption(opts.secondaryOf, '--secondary-of'));
    storage.setStartupMode('empty');
    storage.close();
  }
  const url = `http://${config.listen}${config.prefix.startsWith('/') ? '' : '/'}${config.prefix}`;
  process.stdout.write(
    `initialised log in ${dir}\n` +
      `  config:      ${configPath}\n` +
      keyLine +
      `  public key:  ${publicKeyPath}\n` +
      `  key hash:    ${toHex(keyHash(publicKey))}\n` +
      (opts.secondaryOf === undefined ? `  policy line: log ${toHex(publicKey)} ${url}\n` : ''),
  );
}

async function runPrimary(opts: {
  config: string;
  listen?: string;
  internalListen?: string;
  storage?: string;
  rateLimitConfig?: string;
  dnsResolver?: string;
  publishedTreeHead?: string;
  trustDatabase?: boolean;
}): Promise<void> {
  const config = loadConfig(opts.config);
  if (opts.rateLimitConfig !== undefined) config.rateLimitFile = resolve(opts.rateLimitConfig);
  if (opts.dnsResolver !== undefined) config.dnsResolver = opts.dnsResolver;
  if (opts.listen !== undefined) config.listen = opts.listen;
  if (opts.internalListen !== undefined) config.internalListen = opts.internalListen;
  if (opts.storage !== undefined) {
    if (opts.storage !== 'sqlite' && opts.storage !== 'memory') throw new ConfigError('--storage must be sqlite or memory');
    config.storage = opts.storage;
  }
  const pub = parseHostPort(config.listen, 'listen');
  const internal = config.internalListen === '' ? undefined : parseHostPort(config.internalListen, 'internalListen');
  if (config.replicationToken !== '') refuseExposedSecret(resolve(opts.config), 'the replication token');
  refuseExposedKeyFile(config.keyFile);
  const log = createLogger(config.logLevel);
  const signer = await openSigningKey(config.keyFile, config.publicKeyFile, 'publicKeyFile', (w) => process.stderr.write(`sigsum-log: warning: ${w}\n`), {
    signTimeoutMs: config.signTimeoutMs,
  });
  // Metrics and rate limits (docs/metrics.md, docs/rate-limits.md).
  const metrics = createMetrics('primary');
  const storage = instrumentStorage(await openConfiguredStorage(config), metrics);
  storage.setLogPublicKey(signer.publicKey);
  // Hot standby (docs/operations.md): never run beside a newer primary; publish only what the secondary has.
  const sources = [...config.publishedTreeHeadSources, ...(opts.publishedTreeHead === undefined ? [] : [opts.publishedTreeHead])];
  for (const source of sources) await checkPublishedTreeHead(source, storage, signer.publicKey);
  const replication = await primaryReplication(config, storage, log);
  let admitLeaf;
  if (config.rateLimitFile !== '') {
    // Loaded only when configured: the DNS and public-suffix modules cost memory at start.
    const { createDnsTxtResolver, createRateLimiter, rateLimitAdmission, readRateLimitConfig } = await import('../ratelimit/index.js');
    const rateLimits = await readRateLimitConfig(config.rateLimitFile);
    for (const w of rateLimits.warnings) process.stderr.write(`sigsum-log: ${config.rateLimitFile}: ${w}\n`);
    const limiter = createRateLimiter(rateLimits, {
      logPublicKey: signer.publicKey,
      resolver: createDnsTxtResolver(config.dnsResolver === '' ? {} : { server: config.dnsResolver }),
      enableTestDomain: config.enableTestDomain,
      onDecision: (decision, rule) => metrics.rateLimitDecisions.inc({ decision, rule }),
    });
    admitLeaf = rateLimitAdmission(limiter, { isKnownLeaf: (leafHash) => storage.leafIndex(leafHash) !== undefined });
  }
  const cosigner = cosignerFromPolicyFile({
    policyFile: config.policyFile,
    logSigner: signer,
    // Witnesses are only asked about integrated sizes, whose nodes are in storage.
    consistencyProof: (oldSize, newSize) => consistencyProof(oldSize, newSize, storage),
    timeoutMs: config.witnessTimeoutMs,
    logger: log,
    metrics,
  });
  const running = await startLog({
    storage,
    signer,
    host: pub.host,
    port: pub.port,
    internalHost: internal?.host,
    internalPort: internal === undefined ? null : internal.port,
    prefix: config.prefix,
    intervalMs: config.intervalMs,
    integrateIntervalMs: config.integrateIntervalMs,
    maxRange: config.maxRange,
    addLeafWaitMs: config.addLeafWaitMs,
    maxPending: config.maxPending,
    corsOrigins: config.corsOrigins,
    cosigner,
    logger: log,
    publicLimits: publicListenerLimits(config),
    internalLimits: internal === undefined ? undefined : internalListenerLimits(config),
    metrics,
    admitLeaf,
    gate: replication.gate,
    replication: replication.options,
    // A memory log starts empty by design: nothing outside it to check.
    guardFile: config.storage === 'sqlite' ? config.publishedTreeHeadFile : undefined,
    trustDatabase: opts.trustDatabase,
    startupVerifyLeaves: config.startupVerifyLeaves,
    witnessKeys: witnessKeysOfPolicyFile(config.policyFile),
  });
  // Replication metrics (docs/metrics.md): the gate's observations, read at every scrape.
  const secondary = replication.secondary;
  if (secondary !== undefined) {
    observeReplication(
      metrics,
      replicationLag({ localSize: () => running.sequencer.treeSize, peerSize: () => secondary.replicatedSize(), reachable: () => secondary.lastError() === undefined }),
    );
  }
  closeOnSignals(running);
}

async function runStatus(opts: { config: string }): Promise<void> {
  const config = loadConfig(opts.config);
  if (config.storage === 'memory') fail('status needs sqlite storage (memory storage has no state on disk)');
  const storage = openExistingDatabase(join(config.dataDir, DATABASE_FILE), { readonly: true, config });
  try {
    const head = storage.latestTreeHead();
    let guard: string;
    try {
      guard = String(readGuardFile(config.publishedTreeHeadFile)?.size ?? '');
    } catch (err) {
      guard = `unreadable (${(err as Error).message})`;
    }
    const key = storage.logPublicKey();
    const lines = [
      `log_key_hash=${key === undefined ? '' : toHex(keyHash(key))}`,
      `startup_mode=${storage.startupMode() ?? ''}`,
      `tree_size=${storage.treeSize()}`,
      `published_size=${head?.size ?? ''}`,
      `published_root_hash=${head === undefined ? '' : toHex(head.rootHash)}`,
      `published_at=${head === undefined ? '' : new Date(head.publishedAt).toISOString()}`,
      `cosignatures=${head?.cosignatures.length ?? 0}`,
      `published_tree_head_file_size=${guard}`,
      `database_bytes=${storage.sizeBytes()}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    storage.close();
  }
}

/** Build the `sigsum-log` command (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('sigsum-log')
    .description('Sigsum v1 reference log')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('init')
    .description('create a log: OpenSSH private key (0600), config.json and an empty database')
    .option('--dir <dir>', 'directory to create the log in', '.')
    .option('--storage <kind>', 'sqlite (durable, default) or memory', 'sqlite')
    .option('--secondary-of <key>', 'initialise a hot-standby secondary of the log with this public key (hex or file); log.key is the secondary\'s own key')
    .option('--pkcs11 <uri>', 'keep the key in a PKCS#11 token: generate it there (non-extractable) or use the existing key the pkcs11: URI names (docs/operations.md)')
    .action(runInit);
  program
    .command('primary')
    .description('run the log (public API + internal listener) until SIGTERM/SIGINT')
    .requiredOption('-c, --config <file>', 'configuration file (see docs/reference-log.md)')
    .option('--listen <host:port>', 'override the public listen address')
    .option('--internal-listen <host:port>', 'override the internal listen address')
    .option('--storage <kind>', 'override the storage backend (sqlite or memory)')
    .option('--rate-limit-config <file>', 'override the rate-limit config file (docs/rate-limits.md)')
    .option('--dns-resolver <ip[:port]>', 'override the DNS resolver used to verify submit tokens')
    .option('--published-tree-head <file|url>', 'refuse to start if this published tree head (public URL or get-tree-head file) is newer than ours; adds to publishedTreeHeadSources (docs/operations.md)')
    .option('--trust-database', 'the published-tree-head file is missing: write it from the database\'s newest head (only after checking that head is the log\'s latest; docs/operations.md)')
    .action(runPrimary);
  program
    .command('status')
    .description('print the stored state of a log (tree size, published head)')
    .requiredOption('-c, --config <file>', 'configuration file')
    .action(runStatus);
  registerIntegrityCommands(program);
  registerWitnessCommand(program);
  registerReplicationCommands(program);
  registerWitnessInfoCommand(program);
  registerTilesCommand(program);
  addHelpExamples(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
