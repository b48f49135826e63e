/**
 * The reference witness over HTTP (Fastify): C2SP tlog-witness
 * `POST <prefix>/add-checkpoint` for a configured set of Sigsum logs, with
 * state in SQLite. Every answer is plain text; 409 is `text/x.tlog.size`.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Signer } from '@sigsum-kit/sdk';
import { MAX_ADD_CHECKPOINT_BYTES, checkAddCheckpoint, cosignatureLine, refusalResponse, witnessIdentity, witnessLogs, type WitnessResponse } from './core.js';
import { WitnessStateStore } from './state.js';
import { verifyingSigner } from '../signing.js';
import { createMetrics, instrumentSigner, metricsPlugin, type LogMetrics } from '../metrics/index.js';

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
  /** Log requests with Fastify's logger (default false). */
  logger?: boolean;
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

/** Normalize a URL prefix to `""` or `/a/b` (no trailing slash). */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `/${p}`;
}

function systemClock(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

/**
 * Build the Fastify app of a witness (not listening). The caller owns `store`.
 * With `metrics`, every request is counted (the registry is served elsewhere).
 */
export function buildWitnessApp(config: WitnessConfig, store: WitnessStateStore, metrics?: LogMetrics): FastifyInstance {
  const identity = witnessIdentity(config.signer);
  const logs = witnessLogs(config.logKeys);
  const now = config.now ?? systemClock;
  const prefix = normalizePrefix(config.urlPrefix);
  const app = Fastify({ logger: config.logger ?? false, bodyLimit: MAX_REQUEST_BYTES, exposeHeadRoutes: false });

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
      const checked = await checkAddCheckpoint(body, logs, (origin) => store.get(origin));
      if (!checked.ok) return send(reply, refusalResponse(checked));
      const timestamp = now();
      // Sign before storing: state never advances without a cosignature to hand out.
      const line = await cosignatureLine(identity, checked.log, checked.next, timestamp);
      const stored = store.compareAndSet(checked.log.origin, checked.expected, checked.next, timestamp);
      if (!stored.ok) {
        // A concurrent request moved the state after our check: the caller must retry from the new size.
        return send(reply, refusalResponse({ ok: false, status: 409, message: 'state changed concurrently', size: stored.current.size }));
      }
      return send(reply, { status: 200, contentType: 'text/plain; charset=utf-8', body: line });
    });
  };
  if (metrics !== undefined) void app.register(metricsPlugin, { metrics, serve: false });
  // Routes live in a child plugin so that they load after, and are seen by, the metrics hooks.
  void app.register(async (child) => routes(child));

  app.setNotFoundHandler((req, reply) => text(reply, 404, `not found: ${req.method} ${req.url.slice(0, 200)}`));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 413) return text(reply, 413, `request body larger than ${MAX_REQUEST_BYTES} bytes`);
    if (status >= 500) {
      app.log.error(err);
      return text(reply, 500, 'internal error');
    }
    return text(reply, status, err.message);
  });
  return app;
}

/**
 * Start a witness: open the state database, build the app and listen.
 * @returns its base URL and a `close()` that stops it.
 */
export async function startWitness(config: WitnessConfig): Promise<RunningWitness> {
  if (config.logKeys.length === 0) throw new Error('witness: at least one log key is required');
  const store = new WitnessStateStore(config.statePath);
  const metrics = config.metricsListen === undefined ? undefined : createMetrics('witness');
  // Cosignatures are checked before they are sent; failures show in the signer metrics.
  const signer = verifyingSigner(config.signer);
  const app = buildWitnessApp({ ...config, signer: metrics === undefined ? signer : instrumentSigner(signer, metrics) }, store, metrics);
  app.addHook('onClose', async () => store.close());
  let metricsApp: FastifyInstance | undefined;
  let metricsUrl: string | undefined;
  try {
    await app.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 0 });
    if (metrics !== undefined) {
      const m = Fastify({ logger: false });
      metricsApp = m;
      m.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
      await m.listen({ host: config.metricsListen?.host ?? '127.0.0.1', port: config.metricsListen?.port ?? 0 });
      metricsUrl = `${baseUrl(m)}/metrics`;
    }
  } catch (e) {
    await metricsApp?.close();
    await app.close();
    throw e;
  }
  return {
    url: `${baseUrl(app)}${normalizePrefix(config.urlPrefix)}`,
    app,
    ...(metricsUrl === undefined ? {} : { metricsUrl }),
    close: async () => {
      await metricsApp?.close();
      await app.close();
    },
  };
}

/** `http://host:port` of a listening Fastify instance. */
function baseUrl(app: FastifyInstance): string {
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('witness: no TCP address');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}
