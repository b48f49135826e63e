/**
 * The secondary node: pulls the primary's durable leaves in batches over the
 * internal API, checks each batch against the primary's root before storing
 * it, and serves its own tree head, signed with its own key, on its internal
 * listener (`get-secondary-tree-head`), which the primary's gate reads.
 *
 * A primary whose leaves do not hash to the roots it claims, whose tree
 * shrank, or that serves a leaf already stored elsewhere is a fork: the
 * secondary stops replicating for good, logs it at `error`, and reports
 * `status=fork` with 503 on `/health`. It keeps serving what it has, which
 * can only hold the (correct) primary back, never help a fork publish.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  leafHashOf,
  leafToBytes,
  parseLeavesBody,
  parseTreeHeadBody,
  serializeSignedTreeHead,
  signTreeHead,
  toHex,
  toSafeNumber,
  type SignedTreeHead,
  type Signer,
} from '@sigsum-kit/sdk';
import {
  CompactRange,
  type PerfectNode,
} from '@sigsum-kit/sdk/internal';
import { HttpError } from '../server/app.js';
import type { LeafRecord, Storage } from '../storage/types.js';
import { REPLICATION_ENDPOINTS, baseUrl, describeFailure, internalGet, tokenMatches } from './protocol.js';
import { metricsPlugin, replicationLag, type LogMetrics } from '../metrics/index.js';

/** Replication state reported on `/health`. */
export type SecondaryStatus = 'ok' | 'unreachable' | 'fork';

/** Options of {@link startSecondary}. */
export interface SecondaryOptions {
  /** The secondary's own storage (a database initialised for the log's key). */
  storage: Storage;
  /** The secondary's own key (not the log key). */
  signer: Signer;
  /** Base URL of the primary's internal listener. */
  primaryUrl: string;
  /** Shared bearer token of the internal API (sent to the primary and required from it). */
  token?: string;
  /** Internal listener host (default 127.0.0.1). */
  host?: string;
  /** Internal listener port (0 = any free port; default 0). */
  port?: number;
  /** Pause between pulls when up to date, ms (default 250). */
  intervalMs?: number;
  /** Leaves asked for per get-leaves request (default 512). */
  batchSize?: number;
  /** Time allowed for one request to the primary, ms (default 5000). */
  timeoutMs?: number;
  /** Fastify/pino logger option (default off). */
  logger?: FastifyServerOptions['logger'];
  /** Prometheus metrics (`createMetrics('secondary')`): served at `/metrics` on the internal listener (docs/metrics.md). */
  metrics?: LogMetrics;
}

/** A running secondary. */
export interface RunningSecondary {
  /** Base URL of its internal listener, ending in `/`. */
  internalUrl: string;
  /** Current replication state. */
  status(): SecondaryStatus;
  /** Leaves stored. */
  treeSize(): number;
  /** Why replication stopped or fails, if it does. */
  lastError(): string | undefined;
  /** Pull once now (tests); resolves when the pull is done. */
  pullNow(): Promise<void>;
  /** The structured logger. */
  log: FastifyBaseLogger;
  /** Stop pulling and listening, close the storage. Idempotent. */
  close(): Promise<void>;
}

/** The primary served something that contradicts what we stored. */
class ForkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForkError';
  }
}

/** Start pulling from the primary and serving `get-secondary-tree-head`. */
export async function startSecondary(opts: SecondaryOptions): Promise<RunningSecondary> {
  const { storage, signer } = opts;
  const primary = baseUrl(opts.primaryUrl);
  const intervalMs = opts.intervalMs ?? 250;
  const batchSize = opts.batchSize ?? 512;
  const timeoutMs = opts.timeoutMs ?? 5000;
  let frontier = CompactRange.restore(storage.treeSize(), storage);
  let status: SecondaryStatus = 'ok';
  let problem: string | undefined;
  let primarySize: number | undefined;
  let signed: SignedTreeHead | undefined;
  let running = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pulling: Promise<void> | undefined;

  const app: FastifyInstance = Fastify({ logger: opts.logger ?? false, logController: new LogController({ disableRequestLogging: true }) });
  const log = app.log;

  const primaryRoot = async (size: number): Promise<Uint8Array> => {
    const res = await internalGet(`${primary}${REPLICATION_ENDPOINTS.treeHeadUnsigned}/${size}`, opts.token, timeoutMs);
    const th = parseTreeHeadBody(res.body);
    if (th.size !== BigInt(size)) throw new ForkError(`primary answered a tree head of size ${th.size} when asked for size ${size}`);
    return th.rootHash;
  };

  /** Fetch, check and durably store one batch starting at our size; returns the leaves stored. */
  const pullBatch = async (target: number, targetRoot: Uint8Array): Promise<number> => {
    const start = frontier.size;
    const end = Math.min(target, start + batchSize);
    const res = await internalGet(`${primary}${REPLICATION_ENDPOINTS.leaves}/${start}/${end}`, opts.token, timeoutMs);
    const leaves = parseLeavesBody(res.body, { maxCount: end - start });
    const records: LeafRecord[] = leaves.map((l) => ({ leaf: leafToBytes(l), leafHash: leafHashOf(l) }));
    // Verify on a copy; only a batch that hashes to the primary's root at its end is stored.
    const next = frontier.clone();
    const nodes: PerfectNode[] = records.flatMap((r) => next.append(r.leafHash));
    const stop = start + records.length;
    const want = stop === target ? targetRoot : await primaryRoot(stop);
    const got = next.root();
    if (toHex(got) !== toHex(want)) {
      throw new ForkError(`leaves ${start}..${stop - 1} from the primary hash to root ${toHex(got)}, but the primary's root at size ${stop} is ${toHex(want)}`);
    }
    for (const r of records) {
      const at = storage.leafIndex(r.leafHash);
      if (at !== undefined) throw new ForkError(`primary served leaf ${toHex(r.leafHash)} again; it is already stored at index ${at}`);
    }
    storage.appendLeaves(records, nodes);
    frontier = next;
    return records.length;
  };

  const pull = async (): Promise<void> => {
    if (status === 'fork') return;
    try {
      const res = await internalGet(primary + REPLICATION_ENDPOINTS.treeHeadUnsigned, opts.token, timeoutMs);
      const th = parseTreeHeadBody(res.body);
      const target = toSafeNumber(th.size, 'size');
      primarySize = target;
      if (target < frontier.size) throw new ForkError(`primary's tree has ${target} leaves, fewer than the ${frontier.size} replicated here`);
      if (target === frontier.size && toHex(frontier.root()) !== toHex(th.rootHash)) {
        throw new ForkError(`primary's root at size ${target} is ${toHex(th.rootHash)}, ours is ${toHex(frontier.root())}`);
      }
      while (running && frontier.size < target) await pullBatch(target, th.rootHash);
      if (status !== 'ok') log.info({ size: frontier.size }, 'replicating from the primary again');
      status = 'ok';
      problem = undefined;
    } catch (err) {
      if (err instanceof ForkError) {
        status = 'fork';
        problem = err.message;
        log.error({ reason: err.message, size: frontier.size }, 'primary forked from the replicated tree; replication stopped');
        return;
      }
      const reason = describeFailure(err);
      if (reason !== problem) log.warn({ reason }, 'cannot replicate from the primary; retrying');
      status = 'unreachable';
      problem = reason;
    }
  };

  const pullNow = (): Promise<void> => {
    pulling ??= pull().finally(() => {
      pulling = undefined;
    });
    return pulling;
  };

  const schedule = (): void => {
    if (!running || status === 'fork') return;
    timer = setTimeout(() => {
      timer = undefined;
      void pullNow().finally(schedule);
    }, intervalMs);
  };

  app.setErrorHandler((err, req, reply) => {
    const status = err instanceof HttpError ? err.status : 500;
    if (status >= 500) req.log.error({ err }, 'internal error');
    void reply.code(status).type('text/plain; charset=utf-8').send(`${status >= 500 ? 'internal error' : (err as Error).message}\n`);
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('unknown endpoint\n'));

  app.get('/' + REPLICATION_ENDPOINTS.secondaryTreeHead, async (req, reply) => {
    if (!tokenMatches(req.headers.authorization, opts.token)) throw new HttpError(401, 'missing or wrong bearer token');
    const size = frontier.size;
    if (signed === undefined || signed.size !== BigInt(size)) signed = await signTreeHead(signer, { size: BigInt(size), rootHash: frontier.root() });
    return reply.code(200).type('text/plain; charset=utf-8').send(serializeSignedTreeHead(signed));
  });

  app.get('/health', async (_req, reply) => {
    const body =
      `status=${status}\n` +
      `role=secondary\n` +
      `tree_size=${frontier.size}\n` +
      `primary_size=${primarySize ?? ''}\n` +
      (problem === undefined ? '' : `error=${problem.replace(/\n/g, ' ')}\n`);
    return reply.code(status === 'fork' ? 503 : 200).type('text/plain; charset=utf-8').send(body);
  });

  // Metrics (docs/metrics.md): HTTP, tree size, and replication as seen from here (the primary is the leading side).
  if (opts.metrics !== undefined) {
    await app.register(metricsPlugin, { metrics: opts.metrics });
    opts.metrics.observeLogState({
      treeSize: () => frontier.size,
      replication: replicationLag({ localSize: () => Math.max(primarySize ?? 0, frontier.size), peerSize: () => frontier.size, reachable: () => status !== 'unreachable' }),
    });
  }

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected listen address');
  const h = (opts.host ?? '127.0.0.1').includes(':') ? `[${opts.host}]` : (opts.host ?? '127.0.0.1');
  const internalUrl = `http://${h}:${address.port}/`;
  // Listening first: /health and the (partial) tree head are served during a long initial catch-up.
  await pullNow();
  schedule();
  log.info({ internalUrl, primaryUrl: primary, treeSize: frontier.size, status }, 'secondary started');

  let closing: Promise<void> | undefined;
  return {
    internalUrl,
    status: () => status,
    treeSize: () => frontier.size,
    lastError: () => problem,
    pullNow,
    log,
    close: () => {
      closing ??= (async () => {
        running = false;
        if (timer !== undefined) clearTimeout(timer);
        await app.close();
        await pulling;
        storage.close();
      })();
      return closing;
    },
  };
}
