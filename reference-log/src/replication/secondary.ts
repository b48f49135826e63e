/**
 * The secondary node: pulls the primary's leaves in batches over the
 * internal API, checks each batch against a tree head of the primary before
 * storing it, and serves its own tree head, signed with its own key, on its
 * internal listener (`get-secondary-tree-head`), which the primary's gate
 * reads.
 *
 * Two kinds of primary (docs/operations.md, docs/architecture.md):
 * - `sigsum-kit`: the primary's internal `get-tree-head-unsigned[/<size>]`
 *   names the size and root of its durable tree; the secondary replicates
 *   ahead of publication, which is what lets the primary's gate publish only
 *   what the secondary holds.
 * - `log-go`: log-go's internal API has only `get-leaves`. The secondary then
 *   replicates up to the primary's PUBLIC tree head (`get-tree-head`, its
 *   signature checked with the log key) and checks each batch against it
 *   (the batch's root must be the signed root, or a prefix of it by the
 *   public `get-consistency-proof`). Nothing beyond a head the primary signed
 *   is stored or signed here.
 *
 * A primary whose leaves do not hash to the roots it claims or signed, whose
 * tree shrank, or that serves a leaf already stored elsewhere is a fork: the
 * secondary stops replicating for good, logs it at `error`, and reports
 * `status=fork` with 503 on `/health`. It keeps serving what it has, which
 * can only hold the (correct) primary back, never help a fork publish.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  CompactRange,
  LogClient,
  leafHashOf,
  leafToBytes,
  parseLeavesBody,
  parseTreeHeadBody,
  serializeSignedTreeHead,
  signTreeHead,
  toHex,
  toSafeNumber,
  verifyConsistency,
  verifyTreeHeadSignature,
  type PerfectNode,
  type SignedTreeHead,
  type Signer,
} from '@sigsum-kit/sdk';
import { treeRoot } from '@sigsum-kit/sdk/internal';
import { ApiError, installErrorHandling, listenerUrl, sendText } from '../server/http.js';
import type { LeafRecord, Storage } from '../storage/types.js';
import { REPLICATION_ENDPOINTS, baseUrl, describeFailure, internalGet, tokenMatches, type ReplicationApi } from './protocol.js';
import { instrumentSigner, metricsPlugin, replicationLag, type LogMetrics } from '../metrics/index.js';
import { verifyingSigner } from '../signing.js';
import { serverLogging } from '../logger.js';
import { internalLimits, listenerOptions, type ListenerLimits } from '../server/limits.js';
import { ForkError } from '../errors.js';
import { catchUpProgress, type CatchUpProgress } from './progress.js';

/** Replication state reported on `/health`. */
export type SecondaryStatus = 'ok' | 'unreachable' | 'fork';

/** Options of {@link startSecondary}. */
export interface SecondaryOptions {
  /** The secondary's own storage (a database initialised for the log's key). */
  storage: Storage;
  /** The secondary's own key (not the log key). */
  signer: Signer;
  /** Base URL of the primary's internal listener (with log-go: including its URL prefix). */
  primaryUrl: string;
  /** The primary's internal API (default `sigsum-kit`). */
  primaryApi?: ReplicationApi;
  /** With `primaryApi: "log-go"`: the log's public base URL, whose signed `get-tree-head` bounds what is replicated. */
  primaryPublicUrl?: string;
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
  /** The process's logger (default: silent). */
  logger?: FastifyBaseLogger;
  /** Timeouts and connection cap of the internal listener (default {@link internalLimits}). */
  limits?: ListenerLimits;
  /** Prometheus metrics (`createMetrics('secondary')`): served at `/metrics` on the internal listener (docs/metrics.md). */
  metrics?: LogMetrics;
  /** Where catching up is drawn as a progress line (a TTY); without it, progress goes to the log (progress.ts). */
  progressTty?: NodeJS.WriteStream;
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


/** A size and root of the primary's tree that bounds one round of replication. */
interface Target {
  size: number;
  rootHash: Uint8Array;
}

/**
 * Where the secondary learns how far to replicate, and how it checks a
 * batch before storing it.
 */
interface Upstream {
  /** Which API this is (reported on `/health`). */
  readonly api: ReplicationApi;
  /** Whether the target may lag behind what is stored (a public head read through a cache) without that being a fork. */
  readonly mayLag: boolean;
  /** The size to replicate up to, and its root. */
  target(): Promise<Target>;
  /** Throw ForkError unless `root`, over our tree plus leaves `start..size-1`, is the primary's tree at `size` (a prefix of `target`). */
  checkPrefix(start: number, size: number, root: Uint8Array, target: Target): Promise<void>;
}

function sameRoot(a: Uint8Array, b: Uint8Array): boolean {
  return toHex(a) === toHex(b);
}

/** Our primary: its unsigned durable tree head, at any size. */
function sigsumKitUpstream(primary: string, token: string | undefined, timeoutMs: number): Upstream {
  const headAt = async (size?: number): Promise<Target> => {
    const url = `${primary}${REPLICATION_ENDPOINTS.treeHeadUnsigned}${size === undefined ? '' : `/${size}`}`;
    let res;
    try {
      res = await internalGet(url, token, timeoutMs);
    } catch (err) {
      if (/\b404\b/.test(describeFailure(err))) {
        throw new Error(`${url} is not served: is the primary log-go? then set primaryApi to "log-go" (docs/operations.md)`);
      }
      throw err;
    }
    const th = parseTreeHeadBody(res.body);
    if (size !== undefined && th.size !== BigInt(size)) throw new ForkError(`primary answered a tree head of size ${th.size} when asked for size ${size}`);
    return { size: toSafeNumber(th.size, 'size'), rootHash: th.rootHash };
  };
  return {
    api: 'sigsum-kit',
    mayLag: false,
    target: () => headAt(),
    async checkPrefix(start, size, root, target) {
      const want = size === target.size ? target.rootHash : (await headAt(size)).rootHash;
      if (!sameRoot(root, want)) throw new ForkError(`leaves ${start}..${size - 1} from the primary hash to root ${toHex(root)}, but the primary's root at size ${size} is ${toHex(want)}`);
    },
  };
}

/** log-go (or any primary with only `get-leaves` internally): the log's public signed tree head and consistency proofs. */
function publicHeadUpstream(publicUrl: string, logPublicKey: Uint8Array, timeoutMs: number): Upstream {
  const client = new LogClient({ url: baseUrl(publicUrl), retries: 0, timeoutMs });
  return {
    api: 'log-go',
    mayLag: true,
    async target() {
      const head = await client.getTreeHead();
      if (!(await verifyTreeHeadSignature(head, logPublicKey))) {
        throw new Error(`the tree head from ${publicUrl} (size ${head.size}) is not signed by the log key ${toHex(logPublicKey)}`);
      }
      return { size: toSafeNumber(head.size, 'size'), rootHash: head.rootHash };
    },
    async checkPrefix(start, size, root, target) {
      if (size === target.size) {
        if (!sameRoot(root, target.rootHash)) {
          throw new ForkError(`leaves ${start}..${size - 1} from the primary hash to root ${toHex(root)}, but the primary signed root ${toHex(target.rootHash)} at size ${size}`);
        }
        return;
      }
      const proof = await client.getConsistencyProof(BigInt(size), BigInt(target.size));
      try {
        verifyConsistency(BigInt(size), BigInt(target.size), root, target.rootHash, proof.path);
      } catch (err) {
        throw new ForkError(`leaves ${start}..${size - 1} from the primary hash to root ${toHex(root)}, which is not a prefix of the tree head it signed at size ${target.size} (${describeFailure(err)})`);
      }
    },
  };
}

/** The replication loop: state, one pull, the periodic schedule. */
interface Replicator {
  status(): SecondaryStatus;
  problem(): string | undefined;
  primarySize(): number | undefined;
  frontier(): CompactRange;
  pullNow(): Promise<void>;
  /** Pull now, then every `intervalMs` until stopped. */
  start(): Promise<void>;
  /** Stop scheduling and wait for a pull under way. */
  stop(): Promise<void>;
}

function createReplicator(opts: {
  storage: Storage;
  upstream: Upstream;
  primary: string;
  token: string | undefined;
  batchSize: number;
  timeoutMs: number;
  intervalMs: number;
  log: FastifyBaseLogger;
  progress: CatchUpProgress;
}): Replicator {
  const { storage, upstream, log, progress } = opts;
  let frontier = CompactRange.restore(storage.treeSize(), storage);
  let status: SecondaryStatus = 'ok';
  let problem: string | undefined;
  let primarySize: number | undefined;
  let running = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pulling: Promise<void> | undefined;

  /** Fetch, check and durably store one batch starting at our size. */
  const pullBatch = async (target: Target): Promise<void> => {
    const start = frontier.size;
    const end = Math.min(target.size, start + opts.batchSize);
    const res = await internalGet(`${opts.primary}${REPLICATION_ENDPOINTS.leaves}/${start}/${end}`, opts.token, opts.timeoutMs);
    const leaves = parseLeavesBody(res.body, { maxCount: end - start });
    if (leaves.length === 0) throw new Error(`the primary answered no leaves for ${start}..${end - 1}`);
    const records: LeafRecord[] = leaves.map((l) => ({ leaf: leafToBytes(l), leafHash: leafHashOf(l) }));
    // Verify on a copy; only a batch that matches the primary's tree is stored.
    const next = frontier.clone();
    const nodes: PerfectNode[] = records.flatMap((r) => next.append(r.leafHash));
    await upstream.checkPrefix(start, next.size, next.root(), target);
    for (const r of records) {
      const at = storage.leafIndex(r.leafHash);
      if (at !== undefined) throw new ForkError(`primary served leaf ${toHex(r.leafHash)} again; it is already stored at index ${at}`);
    }
    storage.appendLeaves(records, nodes);
    frontier = next;
  };

  /** A target at or below our size: the same tree, or a fork. */
  const checkNotAhead = (target: Target): void => {
    if (target.size === frontier.size) {
      if (!sameRoot(frontier.root(), target.rootHash)) throw new ForkError(`primary's root at size ${target.size} is ${toHex(target.rootHash)}, ours is ${toHex(frontier.root())}`);
      return;
    }
    if (!upstream.mayLag) throw new ForkError(`primary's tree has ${target.size} leaves, fewer than the ${frontier.size} replicated here`);
    const ours = treeRoot(target.size, storage);
    if (!sameRoot(ours, target.rootHash)) throw new ForkError(`primary signed root ${toHex(target.rootHash)} at size ${target.size}, ours there is ${toHex(ours)}`);
  };

  const pull = async (): Promise<void> => {
    if (status === 'fork') return;
    try {
      const target = await upstream.target();
      primarySize = target.size;
      if (target.size <= frontier.size) checkNotAhead(target);
      progress.begin(frontier.size, target.size, opts.batchSize);
      while (running && frontier.size < target.size) {
        await pullBatch(target);
        progress.update(frontier.size, target.size);
      }
      if (frontier.size >= target.size) progress.finish(frontier.size);
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
    }, opts.intervalMs);
  };

  return {
    status: () => status,
    problem: () => problem,
    primarySize: () => primarySize,
    frontier: () => frontier,
    pullNow,
    async start() {
      await pullNow();
      schedule();
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      await pulling;
    },
  };
}

/** The secondary's internal listener: `get-secondary-tree-head`, `/health` and (optionally) `/metrics`. */
async function buildSecondaryApp(app: FastifyInstance, replicator: Replicator, opts: { signer: Signer; token?: string; api: ReplicationApi; metrics?: LogMetrics }): Promise<void> {
  let signed: SignedTreeHead | undefined;
  installErrorHandling(app);

  // Signs only what is stored, and everything stored was checked against the primary.
  app.get('/' + REPLICATION_ENDPOINTS.secondaryTreeHead, async (req, reply) => {
    if (!tokenMatches(req.headers.authorization, opts.token)) throw new ApiError(401, 'missing or wrong bearer token');
    const frontier = replicator.frontier();
    if (signed === undefined || signed.size !== BigInt(frontier.size)) {
      try {
        signed = await signTreeHead(opts.signer, { size: BigInt(frontier.size), rootHash: frontier.root() });
      } catch (err) {
        // The key (e.g. a token) failed: the primary must not publish beyond what it already knows we hold.
        const reason = err instanceof Error ? err.message : String(err);
        req.log.error({ err: reason, size: frontier.size }, 'signing the secondary tree head failed');
        throw new ApiError(503, `the secondary's signing key failed: ${reason}`);
      }
    }
    return sendText(reply, 200, serializeSignedTreeHead(signed));
  });

  app.get('/health', async (_req, reply) => {
    const status = replicator.status();
    const problem = replicator.problem();
    const body =
      `status=${status}\n` +
      `role=secondary\n` +
      `primary_api=${opts.api}\n` +
      `tree_size=${replicator.frontier().size}\n` +
      `primary_size=${replicator.primarySize() ?? ''}\n` +
      (problem === undefined ? '' : `error=${problem.replace(/\n/g, ' ')}\n`);
    return sendText(reply, status === 'fork' ? 503 : 200, body);
  });

  // Metrics (docs/metrics.md): HTTP, tree size, and replication as seen from here (the primary is the leading side).
  if (opts.metrics !== undefined) {
    await app.register(metricsPlugin, { metrics: opts.metrics });
    opts.metrics.observeLogState({
      treeSize: () => replicator.frontier().size,
      replication: replicationLag({
        localSize: () => Math.max(replicator.primarySize() ?? 0, replicator.frontier().size),
        peerSize: () => replicator.frontier().size,
        reachable: () => replicator.status() !== 'unreachable',
      }),
    });
  }
}

/** Listen and return the base URL (`http://host:port/`, IPv6 hosts bracketed). */
async function listenUrl(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  return `${listenerUrl(app, host)}/`;
}

/** The upstream for the configured primary API. */
function upstreamFor(opts: SecondaryOptions, primary: string, timeoutMs: number): Upstream {
  if ((opts.primaryApi ?? 'sigsum-kit') === 'sigsum-kit') return sigsumKitUpstream(primary, opts.token, timeoutMs);
  if (opts.primaryPublicUrl === undefined || opts.primaryPublicUrl === '') throw new TypeError('primaryPublicUrl: required with primaryApi "log-go"');
  const logKey = opts.storage.logPublicKey();
  if (logKey === undefined) throw new TypeError('the secondary database has no log key (initialise it with `sigsum-log init --secondary-of <log public key>`)');
  return publicHeadUpstream(opts.primaryPublicUrl, logKey, timeoutMs);
}

/** Start pulling from the primary and serving `get-secondary-tree-head`. */
export async function startSecondary(opts: SecondaryOptions): Promise<RunningSecondary> {
  const primary = baseUrl(opts.primaryUrl);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const upstream = upstreamFor(opts, primary, timeoutMs);
  const limits = opts.limits ?? internalLimits();
  const app: FastifyInstance = Fastify({ ...serverLogging(opts.logger), ...listenerOptions(limits) });
  const replicator = createReplicator({
    storage: opts.storage,
    upstream,
    primary,
    token: opts.token,
    batchSize: opts.batchSize ?? 512,
    timeoutMs,
    intervalMs: opts.intervalMs ?? 250,
    log: app.log,
    progress: catchUpProgress({ log: app.log, tty: opts.progressTty }),
  });
  // As the primary's: never hand out a head whose signature does not verify; count failures (docs/metrics.md).
  const signer = opts.metrics === undefined ? verifyingSigner(opts.signer) : instrumentSigner(verifyingSigner(opts.signer), opts.metrics);
  await buildSecondaryApp(app, replicator, { signer, token: opts.token, api: upstream.api, metrics: opts.metrics });
  // Listening first: /health and the (partial) tree head are served during a long initial catch-up.
  const internalUrl = await listenUrl(app, opts.host ?? '127.0.0.1', opts.port ?? 0);
  await replicator.start();
  app.log.info({ internalUrl, primaryUrl: primary, primaryApi: upstream.api, treeSize: replicator.frontier().size, status: replicator.status() }, 'secondary started');

  let closing: Promise<void> | undefined;
  return {
    internalUrl,
    status: replicator.status,
    treeSize: () => replicator.frontier().size,
    lastError: replicator.problem,
    pullNow: replicator.pullNow,
    log: app.log,
    close: () => {
      closing ??= (async () => {
        await replicator.stop();
        await app.close();
        opts.storage.close();
      })();
      return closing;
    },
  };
}
