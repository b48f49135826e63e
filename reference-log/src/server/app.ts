/**
 * The Fastify applications: the public Sigsum log API under a configurable
 * prefix, and the internal listener (`/health` and the primary's
 * replication endpoints).
 *
 * Every response that is not a 2xx carries a plain-text, human-readable
 * message; every input error is a 4xx; only our own bugs can give a 500.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import corsPlugin from '@fastify/cors';
import {
  leafFromBytes,
  serializeConsistencyProof,
  serializeCosignedTreeHead,
  serializeInclusionProof,
  serializeLeaves,
  toSafeNumber,
} from '@sigsum-kit/sdk';
import {
  consistencyProof,
  inclusionProof,
  parseConsistencyProofPath,
  parseInclusionProofPath,
  parseLeavesPath,
  treeRoot,
} from '@sigsum-kit/sdk/internal';
import type { VerifyPool } from '../crypto/verify-pool.js';
import type { Sequencer } from '../sequencer/sequencer.js';
import type { PublishedTreeHead, Storage } from '../storage/types.js';
import { registerReplicationRoutes, type ReplicationRoutesOptions } from '../replication/primary-routes.js';
import { serverLogging, silentLogger } from '../logger.js';
import { internalLimits, listenerOptions, publicLimits, type ListenerLimits } from './limits.js';
import { registerTileRoutes } from '../tiles/routes.js';
import { metricsPlugin } from '../metrics/plugin.js';
import type { LogMetrics } from '../metrics/registry.js';
import { ApiError, installErrorHandling, leavesRange, normalizePrefix, sendText, TEXT_PLAIN } from './http.js';
import { addLeafDecider, type AdmitLeaf } from './add-leaf.js';
import { frontDoor } from './front.js';

export type { AdmitLeaf, Refusal, SubmissionRequest } from './add-leaf.js';

/** Largest add-leaf body accepted (a valid one is 288 bytes). */
export const ADD_LEAF_BODY_LIMIT = 1024;

/** Options of the public app. */
export interface PublicAppOptions {
  /** Storage to read leaves and nodes from. */
  storage: Storage;
  /** The sequencer to submit to and read the published head from. */
  sequencer: Sequencer;
  /** URL prefix of the endpoints, e.g. `/` or `/sigsum/v1/` (default `/`). */
  prefix?: string;
  /** Most leaves in one get-leaves answer (default 512). */
  maxRange?: number;
  /** Allowed CORS origins (`['*']` for any); none → CORS off. */
  corsOrigins?: string[];
  /** The process's logger (default: silent). */
  logger?: FastifyBaseLogger;
  /** Timeouts and connection cap (default {@link publicLimits}). */
  limits?: ListenerLimits;
  /**
   * How long add-leaf waits for a new leaf to be covered by a published tree
   * head before answering 202 (ms; default 0 = answer at once). Each waiting
   * request holds its connection for up to this long.
   */
  addLeafWaitMs?: number;
  /** Optional admission check for add-leaf (rate limits); runs after the signature check. */
  admitLeaf?: AdmitLeaf;
  /** Witness public keys, so the tiles checkpoint can carry their cosignature lines (docs/tiles.md). */
  witnessKeys?: readonly Uint8Array[];
  /** Worker threads checking leaf signatures; none → checked on the main thread. */
  verifyPool?: VerifyPool;
  /** HTTP metrics of every request (docs/metrics.md); none → not counted. */
  metrics?: LogMetrics;
}

/** Public endpoint names and their only method. */
export const ENDPOINTS: Record<string, 'GET' | 'POST'> = {
  'get-tree-head': 'GET',
  'get-inclusion-proof': 'GET',
  'get-consistency-proof': 'GET',
  'get-leaves': 'GET',
  'add-leaf': 'POST',
};

function safe(v: bigint, what: string): number {
  return toSafeNumber(v, what);
}

/** Build (but do not start) the public app. */
export async function buildPublicApp(opts: PublicAppOptions): Promise<FastifyInstance> {
  const prefix = normalizePrefix(opts.prefix);
  const maxRange = opts.maxRange ?? 512;
  const { storage, sequencer } = opts;
  const limits = opts.limits ?? publicLimits();
  const logger = opts.logger ?? silentLogger;
  const addLeaf = addLeafDecider({ sequencer, verifyPool: opts.verifyPool, waitMs: opts.addLeafWaitMs ?? 0, admitLeaf: opts.admitLeaf });
  // The served head changes once per publication: its text is made once.
  let rendered: { head: PublishedTreeHead; text: Buffer } | undefined;
  const treeHeadText = (): Buffer | undefined => {
    const head = sequencer.published;
    if (head === undefined) return undefined;
    if (rendered?.head !== head) rendered = { head, text: Buffer.from(serializeCosignedTreeHead({ ...head, size: BigInt(head.size) }), 'latin1') };
    return rendered.text;
  };
  const cors = opts.corsOrigins !== undefined && opts.corsOrigins.length > 0 ? (opts.corsOrigins.includes('*') ? '*' : opts.corsOrigins) : undefined;
  // An origin list needs the request's Origin checked and echoed: those answers stay with @fastify/cors.
  const front =
    Array.isArray(cors)
      ? undefined
      : frontDoor({
          treeHeadPath: prefix + 'get-tree-head',
          treeHead: treeHeadText,
          addLeafPath: prefix + 'add-leaf',
          addLeaf,
          bodyLimit: ADD_LEAF_BODY_LIMIT,
          headers: cors === '*' ? { 'access-control-allow-origin': '*' } : {},
          metrics: opts.metrics,
          logger,
        });
  const app = Fastify({
    ...serverLogging(logger),
    bodyLimit: ADD_LEAF_BODY_LIMIT,
    // Paths are case-sensitive and exact; no trailing-slash folding.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1000 },
    ...listenerOptions(limits, front),
  });
  if (opts.metrics !== undefined) await app.register(metricsPlugin, { metrics: opts.metrics, serve: false });
  if (cors !== undefined) await app.register(corsPlugin, { origin: cors, methods: ['GET', 'POST'] });
  // Bodies are raw ASCII whatever the content type says; parse them ourselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: ADD_LEAF_BODY_LIMIT }, (_req, body, done) => done(null, body));

  const known = new Map<string, string>();
  for (const [name, method] of Object.entries(ENDPOINTS)) known.set(prefix + name, method);
  installErrorHandling(app, known);

  const publishedSize = (): bigint => BigInt(sequencer.published?.size ?? 0);
  registerTileRoutes(app, { storage, published: () => sequencer.published, logPublicKey: () => storage.logPublicKey() ?? sequencer.publicKey, prefix, witnessKeys: opts.witnessKeys });

  app.get(prefix + 'get-tree-head', (_req, reply) => {
    const text = treeHeadText();
    if (text === undefined) throw new ApiError(503, 'no tree head has been published yet');
    return reply.code(200).header('content-type', TEXT_PLAIN).send(text);
  });

  const withArgs = (name: string, handler: (rest: string, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply) => {
    app.get(prefix + name, async () => {
      throw new ApiError(400, `${name}: missing path arguments`);
    });
    app.get(prefix + name + '/*', async (req, reply) => handler((req.params as { '*': string })['*'], reply));
  };

  withArgs('get-inclusion-proof', (rest, reply) => {
    const { size, leafHash } = parseInclusionProofPath(rest);
    const current = publishedSize();
    if (size > current) throw new ApiError(400, `size ${size} is beyond the current tree head (size ${current})`);
    const n = safe(size, 'size');
    const index = storage.leafIndex(leafHash);
    if (index === undefined || index >= n) throw new ApiError(404, `leaf not found in the tree of size ${n}`);
    return sendText(reply, 200, serializeInclusionProof({ leafIndex: BigInt(index), path: inclusionProof(index, n, storage) }));
  });

  withArgs('get-consistency-proof', (rest, reply) => {
    const { oldSize, newSize } = parseConsistencyProofPath(rest);
    const current = publishedSize();
    if (newSize > current) throw new ApiError(400, `new_size ${newSize} is beyond the current tree head (size ${current})`);
    const path = consistencyProof(safe(oldSize, 'old_size'), safe(newSize, 'new_size'), storage);
    return sendText(reply, 200, serializeConsistencyProof({ path }));
  });

  withArgs('get-leaves', (rest, reply) => {
    const { startIndex, endIndex } = parseLeavesPath(rest);
    const { start, end } = leavesRange(startIndex, endIndex, publishedSize(), maxRange, 'current tree head');
    return sendText(reply, 200, serializeLeaves(storage.getLeaves(start, end).map(leafFromBytes)));
  });

  // 200: the served tree head covers the leaf; 202: not yet, re-send.
  app.post(prefix + 'add-leaf', async (req, reply) => reply.code(await addLeaf(typeof req.body === 'string' ? req.body : '', req)).send());

  return app;
}

/** Options of the internal app. */
export interface InternalAppOptions {
  /** The sequencer, for health figures. */
  sequencer: Sequencer;
  /** Storage, for health figures. */
  storage: Storage;
  /** The process's logger (default: silent). */
  logger?: FastifyBaseLogger;
  /** Timeouts and connection cap (default {@link internalLimits}). */
  limits?: ListenerLimits;
  /** Hot standby (reference-log/src/replication): endpoint options and extra `/health` lines. */
  replication?: ReplicationRoutesOptions & { health?: () => string };
}

/**
 * Build the internal app (separate listener, not for the public): `GET /health`
 * answers `200` with key=value figures while the log is serving, and the
 * secondary pulls the durable tree from the replication endpoints.
 */
export async function buildInternalApp(opts: InternalAppOptions): Promise<FastifyInstance> {
  const limits = opts.limits ?? internalLimits();
  const app = Fastify({
    ...serverLogging(opts.logger),
    bodyLimit: ADD_LEAF_BODY_LIMIT,
    ...listenerOptions(limits),
  });
  installErrorHandling(app, new Map([['/health', 'GET']]));
  app.get('/health', async (_req, reply) => {
    const head = opts.sequencer.published;
    const text =
      `status=ok\n` +
      `tree_size=${opts.sequencer.treeSize}\n` +
      `published_size=${head?.size ?? 0}\n` +
      `pending=${opts.sequencer.pendingCount}\n` +
      `storage=${opts.storage.backend}\n` +
      (opts.replication?.health?.() ?? '');
    return sendText(reply, 200, text);
  });
  registerReplicationRoutes(app, { storage: opts.storage, current: () => ({ size: opts.sequencer.treeSize, rootHash: treeRoot(opts.sequencer.treeSize, opts.storage) }) }, opts.replication);
  return app;
}
