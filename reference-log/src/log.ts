/**
 * `startLog`: the programmatic way to run a log (tests, the `npm start`
 * stack, the CLI): storage + sequencer + public and internal listeners.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Signer } from '@sigsum-kit/sdk';
import { buildInternalApp, buildPublicApp, type PublicAppOptions } from './server/app.js';
import { Sequencer, type SequencerLogger } from './sequencer/sequencer.js';
import type { Cosigner, ReplicationGate } from './sequencer/cosigner.js';
import type { Storage } from './storage/types.js';
import { verifyingSigner } from './signing.js';
import { instrumentSigner, metricsPlugin, observeSequencer, type LogMetrics } from './metrics/index.js';

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
  /** Fastify/pino logger option (default: off). */
  logger?: FastifyServerOptions['logger'];
  /**
   * Prometheus metrics (docs/metrics.md): HTTP metrics of both listeners,
   * sequencer gauges, and `/metrics` on the internal listener.
   */
  metrics?: LogMetrics;
  /**
   * Hot standby (docs/operations.md): bearer token required on the internal
   * replication endpoints, and extra `/health` lines (the secondary's state).
   */
  replication?: { token?: string; health?: () => string };
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
  /** Stop listening, integrate what is pending, close storage. Idempotent. */
  close(): Promise<void>;
}

function listenUrl(address: string | { address: string; port: number } | null, host: string): string {
  if (address === null || typeof address === 'string') throw new Error('unexpected listen address');
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${address.port}`;
}

/** Start a log. Throws `StartupError` if stored state must not be served. */
export async function startLog(opts: LogOptions): Promise<RunningLog> {
  const host = opts.host ?? '127.0.0.1';
  const internalHost = opts.internalHost ?? '127.0.0.1';
  // The sequencer logs through the public app's pino instance, created just below.
  const late: { log?: FastifyBaseLogger } = {};
  const seqLog: SequencerLogger = {
    info: (o, m) => late.log?.info(o, m),
    warn: (o, m) => late.log?.warn(o, m),
    error: (o, m) => late.log?.error(o, m),
  };
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
    logger: seqLog,
  });
  const publicApp = await buildPublicApp({
    storage: opts.storage,
    sequencer,
    prefix: opts.prefix,
    maxRange: opts.maxRange,
    addLeafWaitMs: opts.addLeafWaitMs,
    corsOrigins: opts.corsOrigins,
    logger: opts.logger,
    admitLeaf: opts.admitLeaf,
  });
  late.log = publicApp.log;
  late.log.info(sequencer.startupState, 'start-up state checked');
  const internalApp =
    opts.internalPort === null ? undefined : await buildInternalApp({ sequencer, storage: opts.storage, logger: opts.logger, replication: { ...opts.replication, maxRange: opts.maxRange } });

  // Metrics (docs/metrics.md): hooks on both apps, /metrics on the internal one only.
  if (opts.metrics !== undefined) {
    await publicApp.register(metricsPlugin, { metrics: opts.metrics, serve: false });
    await internalApp?.register(metricsPlugin, { metrics: opts.metrics });
    observeSequencer(opts.metrics, sequencer);
  }

  await sequencer.start();
  let url: string;
  let internalUrl: string | undefined;
  try {
    await publicApp.listen({ host, port: opts.port ?? 0 });
    let prefix = opts.prefix ?? '/';
    if (!prefix.startsWith('/')) prefix = '/' + prefix;
    if (!prefix.endsWith('/')) prefix += '/';
    url = listenUrl(publicApp.server.address(), host) + prefix;
    if (internalApp !== undefined) {
      await internalApp.listen({ host: internalHost, port: opts.internalPort ?? 0 });
      internalUrl = listenUrl(internalApp.server.address(), internalHost) + '/';
    }
  } catch (err) {
    await sequencer.stop();
    await publicApp.close();
    await internalApp?.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Stop taking requests first, then drain the sequencer, then close storage.
      await publicApp.close();
      await internalApp?.close();
      await sequencer.stop();
      opts.storage.close();
    })();
    return closing;
  };
  publicApp.log.info({ url, internalUrl, backend: opts.storage.backend, origin: sequencer.origin }, 'log started');
  return { url, internalUrl, sequencer, storage: opts.storage, log: publicApp.log, close };
}
