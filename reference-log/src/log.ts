/**
 * `startLog`: the programmatic way to run a log (tests, the `npm start`
 * stack, the CLI): storage + sequencer + public and internal listeners.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Signer } from '@sigsum-kit/sdk';
import { buildInternalApp, buildPublicApp, type PublicAppOptions } from './server/app.js';
import { descriptorWarning, internalLimits, publicLimits, type ListenerLimits } from './server/limits.js';
import { listenerUrl, normalizePrefix } from './server/http.js';
import { Sequencer } from './sequencer/sequencer.js';
import { silentLogger } from './logger.js';
import type { Cosigner } from './cosigning/contract.js';
import type { ReplicationGate } from './sequencer/gate.js';
import type { Storage } from './storage/types.js';
import { verifyingSigner } from './signing.js';
import { createVerifyPool, type VerifyPool } from './crypto/verify-pool.js';
import { instrumentSigner, metricsPlugin, observeSequencer, observeVerifyPool, type LogMetrics } from './metrics/index.js';

/** Signature-check threads stop after this long without a job (their memory goes back; the next check restarts them). */
export const VERIFY_THREADS_IDLE_MS = 60_000;

/** Settings of a running log. */
export interface LogOptions {
  /** Open storage (the log closes it on `close()`). */
  storage: Storage;
  /** The log's signing key. */
  signer: Signer;
  /** Public listener host (default 127.0.0.1). */
  host?: string;
  /** Public listener port (0 = any free port; default 0). */
  port?: number;
  /** Internal listener host (default 127.0.0.1). */
  internalHost?: string;
  /** Internal listener port (0 = any free port; default 0); `null` disables it. */
  internalPort?: number | null;
  /** Endpoint prefix (default `/`). */
  prefix?: string;
  /** Publish interval in ms (default 1000). */
  intervalMs?: number;
  /** Integration interval in ms (default 10). */
  integrateIntervalMs?: number;
  /** How long add-leaf may wait for the publication that covers a new leaf before answering 202 (ms; default 0). */
  addLeafWaitMs?: number;
  /** get-leaves batch limit (default 512). */
  maxRange?: number;
  /** Most pending leaves (default 100000). */
  maxPending?: number;
  /** CORS origins (`['*']` = any; empty/undefined = off). */
  corsOrigins?: string[];
  /** Witness cosigning (default: none needed). */
  cosigner?: Cosigner;
  /** Replication gate (default: none). */
  gate?: ReplicationGate;
  /** Admission hook for add-leaf (rate limits). */
  admitLeaf?: PublicAppOptions['admitLeaf'];
  /** The process's logger, created first ({@link createLogger}) and used by every part (default: silent). */
  logger?: FastifyBaseLogger;
  /** Timeouts and connection cap of the public listener (default {@link publicLimits}). */
  publicLimits?: ListenerLimits;
  /** Timeouts and connection cap of the internal listener (default {@link internalLimits}). */
  internalLimits?: ListenerLimits;
  /** Witness public keys for the tiles checkpoint's cosignature lines (docs/tiles.md). */
  witnessKeys?: readonly Uint8Array[];
  /**
   * Prometheus metrics (docs/metrics.md): HTTP metrics of both listeners,
   * sequencer gauges, and `/metrics` on the internal listener.
   */
  metrics?: LogMetrics;
  /**
   * Hot standby (docs/operations.md): bearer token required on the internal
   * replication endpoints, and extra `/health` lines (the secondary's state).
   */
  replication?: { token?: string; health?: () => string; api?: 'sigsum-kit' | 'log-go' };
  /** The published-tree-head file (docs/operations.md), checked at start-up and written before each head is served. */
  guardFile?: string;
  /** Write a missing published-tree-head file from the database (`--trust-database`). */
  trustDatabase?: boolean;
  /** Newest leaves re-hashed by the start-up check (default 1,000,000). */
  startupVerifyLeaves?: number;
  /**
   * Worker threads checking add-leaf signatures (default 0 = on the main
   * thread; the `sigsum-log` configuration defaults to
   * {@link defaultVerifyWorkers}). Started at the first signature check,
   * stopped after {@link VERIFY_THREADS_IDLE_MS} without one, terminated by
   * `close()`.
   */
  verifyWorkers?: number;
}

/** A running log. */
export interface RunningLog {
  /** Base URL of the public API, ending in `/` (prefix included). */
  url: string;
  /** Base URL of the internal listener, or `undefined` if disabled. */
  internalUrl: string | undefined;
  /** The sequencer (published head, tree size, publishNow). */
  sequencer: Sequencer;
  /** The storage in use. */
  storage: Storage;
  /** The structured logger. */
  log: FastifyBaseLogger;
  /** The signature verification threads, if `verifyWorkers` > 0. */
  verifyPool: VerifyPool | undefined;
  /** Stop listening, integrate what is pending, close storage. Idempotent. */
  close(): Promise<void>;
}

/** Start a log. Throws `StartupError` if stored state must not be served. */
export async function startLog(opts: LogOptions): Promise<RunningLog> {
  const host = opts.host ?? '127.0.0.1';
  const internalHost = opts.internalHost ?? '127.0.0.1';
  const log = opts.logger ?? silentLogger;
  const pubLimits = opts.publicLimits ?? publicLimits();
  const intLimits = opts.internalLimits ?? internalLimits();
  const capWarning = descriptorWarning(opts.internalPort === null ? [pubLimits.maxConnections] : [pubLimits.maxConnections, intLimits.maxConnections]);
  if (capWarning !== undefined) log.warn({ publicMaxConnections: pubLimits.maxConnections, internalMaxConnections: intLimits.maxConnections }, capWarning);
  const sequencer = new Sequencer({
    storage: opts.storage,
    // Every tree head signature is checked before it is published; a failing signer (e.g. a
    // PKCS#11 token gone, or a bad signature) shows in sigsum_log_signer_up / _errors_total.
    signer: opts.metrics === undefined ? verifyingSigner(opts.signer) : instrumentSigner(verifyingSigner(opts.signer), opts.metrics),
    cosigner: opts.cosigner,
    gate: opts.gate,
    intervalMs: opts.intervalMs,
    integrateIntervalMs: opts.integrateIntervalMs,
    maxPending: opts.maxPending,
    logger: log,
    guardFile: opts.guardFile,
    trustDatabase: opts.trustDatabase,
    startupVerifyLeaves: opts.startupVerifyLeaves,
  });
  const workers = opts.verifyWorkers ?? 0;
  const verifyPool: VerifyPool | undefined =
    workers === 0
      ? undefined
      : createVerifyPool({
          workers,
          // A log that only serves reads never starts them; an idle one gives their memory back.
          lazy: true,
          idleMs: VERIFY_THREADS_IDLE_MS,
          onWorkerExit: (exit) => log.warn(exit, 'signature verification thread stopped; its leaves were verified on the main thread; restarting it'),
        });
  let publicApp: Awaited<ReturnType<typeof buildPublicApp>>;
  let internalApp: Awaited<ReturnType<typeof buildInternalApp>> | undefined;
  try {
    publicApp = await buildPublicApp({
      storage: opts.storage,
      sequencer,
      prefix: opts.prefix,
      maxRange: opts.maxRange,
      addLeafWaitMs: opts.addLeafWaitMs,
      corsOrigins: opts.corsOrigins,
      logger: log,
      limits: pubLimits,
      admitLeaf: opts.admitLeaf,
      witnessKeys: opts.witnessKeys,
      verifyPool,
      metrics: opts.metrics,
    });
    log.info(sequencer.startupState, 'start-up state checked');
    internalApp =
      opts.internalPort === null
        ? undefined
        : await buildInternalApp({ sequencer, storage: opts.storage, logger: log, limits: intLimits, replication: { ...opts.replication, maxRange: opts.maxRange } });

    // Metrics (docs/metrics.md): the public app counts its own requests; /metrics on the internal one only.
    if (opts.metrics !== undefined) {
      await internalApp?.register(metricsPlugin, { metrics: opts.metrics });
      observeSequencer(opts.metrics, sequencer);
      if (verifyPool !== undefined) observeVerifyPool(opts.metrics, verifyPool);
    }

    await sequencer.start();
  } catch (err) {
    await verifyPool?.close();
    throw err;
  }
  let url: string;
  let internalUrl: string | undefined;
  try {
    await publicApp.listen({ host, port: opts.port ?? 0 });
    url = listenerUrl(publicApp, host) + normalizePrefix(opts.prefix);
    if (internalApp !== undefined) {
      await internalApp.listen({ host: internalHost, port: opts.internalPort ?? 0 });
      internalUrl = listenerUrl(internalApp, internalHost) + '/';
    }
  } catch (err) {
    await sequencer.stop();
    await publicApp.close();
    await internalApp?.close();
    await verifyPool?.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Stop taking requests first, then drain the sequencer, then close storage.
      await publicApp.close();
      await internalApp?.close();
      await verifyPool?.close();
      await sequencer.stop();
      opts.storage.close();
    })();
    return closing;
  };
  log.info(
    { url, internalUrl, backend: opts.storage.backend, origin: sequencer.origin, verifyWorkers: workers, maxConnections: pubLimits.maxConnections, internalMaxConnections: internalApp === undefined ? undefined : intLimits.maxConnections },
    'log started',
  );
  return { url, internalUrl, sequencer, storage: opts.storage, log, verifyPool, close };
}
