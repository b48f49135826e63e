/**
 * The reference witness over HTTP (Fastify): C2SP tlog-witness
 * `POST <prefix>/add-checkpoint` for a configured set of Sigsum logs, with
 * state in SQLite. Every answer is plain text; 409 is `text/x.tlog.size`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { keyHash, toHex, type Signer } from '@sigsum-kit/sdk';
import { MAX_ADD_CHECKPOINT_BYTES, checkAddCheckpoint, cosignatureLine, refusalResponse, witnessIdentity, witnessLogs, type WitnessResponse } from './core.js';
import { WitnessStateStore } from './state.js';
import { verifyingSigner } from '../signing.js';
import { createMetrics, instrumentSigner, metricsPlugin, type LogMetrics } from '../metrics/index.js';
import { serverLogging, silentLogger } from '../logger.js';
import { descriptorWarning, internalLimits, listenerOptions, publicLimits, type ListenerLimits } from '../server/limits.js';
import { listenerUrl, normalizePrefix } from '../server/http.js';

/** Largest request body accepted (63 proof lines and 16 signature lines fit in well under 16 KiB). */
export const MAX_REQUEST_BYTES = MAX_ADD_CHECKPOINT_BYTES;

/** Configuration of {@link startWitness}. */
export interface WitnessConfig {
  /** Host to listen on (default `127.0.0.1`). */
  host?: string;
  /** Port (default 0: a free port). */
  port?: number;
  /** The witness key. */
  signer: Signer;
  /** Path of the SQLite state database (`:memory:` for throwaway state). */
  statePath: string;
  /** Raw 32-byte Ed25519 public keys of the logs this witness cosigns. */
  logKeys: readonly Uint8Array[];
  /** Path prefix before `/add-checkpoint`, e.g. `/witness` (default none). */
  urlPrefix?: string;
  /** Unix time in seconds used for cosignatures (default: the system clock). */
  now?: () => bigint;
  /**
   * The process's logger (default: silent): start-up, refusals (4xx) at
   * warn with the reason, state database failures at error.
   */
  logger?: FastifyBaseLogger;
  /** Timeouts and connection cap of the add-checkpoint listener (default {@link publicLimits}). */
  limits?: ListenerLimits;
  /**
   * Serve Prometheus metrics (`role="witness"`, HTTP metric set) at
   * `GET /metrics` on this separate listener, e.g. `{ host: '127.0.0.1', port: 0 }`.
   * Default: no metrics.
   */
  metricsListen?: { host?: string; port?: number };
}

/** A running witness. */
export interface RunningWitness {
  /** Base URL: `http://host:port<prefix>`; the endpoint is `${url}/add-checkpoint`. */
  url: string;
  /** The Fastify instance (for `inject` in tests). */
  app: FastifyInstance;
  /** `http://host:port/metrics` when `metricsListen` was given. */
  metricsUrl?: string;
  /** Stop listening and close the database. */
  close(): Promise<void>;
}

/** The URL prefix as routes are written under it: `""` or `/a/b` (no trailing slash). */
function routePrefix(prefix: string | undefined): string {
  return normalizePrefix(prefix).slice(0, -1);
}

function systemClock(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

/** The state database failed (full disk, I/O error, locked for too long): answered 500 and logged at error. */
class WitnessStorageError extends Error {
  constructor(cause: unknown) {
    super('witness state database failed', { cause });
    this.name = 'WitnessStorageError';
  }
}

/** Run a state-database operation, marking any failure as a storage failure. */
function storage<T>(op: () => T): T {
  try {
    return op();
  } catch (err) {
    throw new WitnessStorageError(err);
  }
}

/**
 * Build the Fastify app of a witness (not listening). The caller owns `store`.
 * With `metrics`, every request is counted (the registry is served elsewhere).
 */
export function buildWitnessApp(config: WitnessConfig, store: WitnessStateStore, metrics?: LogMetrics): FastifyInstance {
  const identity = witnessIdentity(config.signer);
  const logs = witnessLogs(config.logKeys);
  const now = config.now ?? systemClock;
  const prefix = routePrefix(config.urlPrefix);
  const limits = config.limits ?? publicLimits();
  const app = Fastify({
    ...serverLogging(config.logger),
    bodyLimit: MAX_REQUEST_BYTES,
    exposeHeadRoutes: false,
    ...listenerOptions(limits),
  });

  // The body is a text format of its own: take raw bytes whatever the
  // Content-Type, and let the witness parser judge them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const send = (reply: FastifyReply, r: WitnessResponse) => reply.code(r.status).type(r.contentType).send(r.body);
  const text = (reply: FastifyReply, status: number, message: string) => reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`);

  const routes = (r: FastifyInstance): void => {
    r.route({
      method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: `${prefix}/add-checkpoint`,
      handler: async (_req, reply) => {
        reply.header('allow', 'POST');
        return text(reply, 405, 'method not allowed: use POST');
      },
    });

    r.post(`${prefix}/add-checkpoint`, async (req, reply) => {
      const body = req.body instanceof Uint8Array ? req.body : new Uint8Array(0);
      const checked = await checkAddCheckpoint(body, logs, (origin) => storage(() => store.get(origin)));
      if (!checked.ok) {
        req.log.warn({ status: checked.status, reason: checked.message, ...(checked.size === undefined ? {} : { size: String(checked.size) }) }, 'add-checkpoint refused');
        return send(reply, refusalResponse(checked));
      }
      const timestamp = now();
      // Sign before storing: state never advances without a cosignature to hand out.
      const line = await cosignatureLine(identity, checked.log, checked.next, timestamp);
      const stored = storage(() => store.compareAndSet(checked.log.origin, checked.expected, checked.next, timestamp));
      if (!stored.ok) {
        // A concurrent request moved the state after our check: the caller must retry from the new size.
        req.log.warn({ status: 409, reason: 'state changed concurrently', origin: checked.log.origin, size: String(stored.current.size) }, 'add-checkpoint refused');
        return send(reply, refusalResponse({ ok: false, status: 409, message: 'state changed concurrently', size: stored.current.size }));
      }
      return send(reply, { status: 200, contentType: 'text/plain; charset=utf-8', body: line });
    });
  };
  if (metrics !== undefined) void app.register(metricsPlugin, { metrics, serve: false });
  // Routes live in a child plugin so that they load after, and are seen by, the metrics hooks.
  void app.register(async (child) => routes(child));

  app.setNotFoundHandler((req, reply) => text(reply, 404, `not found: ${req.method} ${req.url.slice(0, 200)}`));
  app.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    if (err instanceof WitnessStorageError) {
      req.log.error({ err: err.cause instanceof Error ? err.cause.message : String(err.cause) }, 'witness state database failed');
      return text(reply, 500, 'internal error');
    }
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'internal error');
      return text(reply, 500, 'internal error');
    }
    const message = status === 413 ? `request body larger than ${MAX_REQUEST_BYTES} bytes` : err.message;
    req.log.warn({ status, reason: message }, 'add-checkpoint refused');
    return text(reply, status, message);
  });
  return app;
}

/**
 * Start a witness: open the state database, build the app and listen.
 * @returns its base URL and a `close()` that stops it.
 */
export async function startWitness(config: WitnessConfig): Promise<RunningWitness> {
  if (config.logKeys.length === 0) throw new Error('witness: at least one log key is required');
  const log = config.logger ?? silentLogger;
  const limits = config.limits ?? publicLimits();
  const capWarning = descriptorWarning([limits.maxConnections]);
  if (capWarning !== undefined) log.warn({ maxConnections: limits.maxConnections }, capWarning);
  const store = new WitnessStateStore(config.statePath);
  const metrics = config.metricsListen === undefined ? undefined : createMetrics('witness');
  // Cosignatures are checked before they are sent; failures show in the signer metrics.
  const signer = verifyingSigner(config.signer);
  const app = buildWitnessApp({ ...config, limits, signer: metrics === undefined ? signer : instrumentSigner(signer, metrics) }, store, metrics);
  app.addHook('onClose', async () => store.close());
  let metricsApp: FastifyInstance | undefined;
  let metricsUrl: string | undefined;
  try {
    await app.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 0 });
    if (metrics !== undefined) {
      const metricsLimits = internalLimits({ maxConnections: 16 });
      const m = Fastify({ ...serverLogging(log), ...listenerOptions(metricsLimits) });
      metricsApp = m;
      m.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
      await m.listen({ host: config.metricsListen?.host ?? '127.0.0.1', port: config.metricsListen?.port ?? 0 });
      metricsUrl = `${listenerUrl(m)}/metrics`;
    }
  } catch (e) {
    await metricsApp?.close();
    await app.close();
    throw e;
  }
  const url = `${listenerUrl(app)}${routePrefix(config.urlPrefix)}`;
  log.info(
    {
      url,
      metricsUrl,
      keyHash: toHex(keyHash(config.signer.publicKey)),
      origins: [...witnessLogs(config.logKeys).keys()],
      maxConnections: limits.maxConnections,
    },
    'witness started',
  );
  return {
    url,
    app,
    ...(metricsUrl === undefined ? {} : { metricsUrl }),
    close: async () => {
      await metricsApp?.close();
      await app.close();
    },
  };
}
