/**
 * The Fastify applications: the public Sigsum log API under a configurable
 * prefix, and the internal listener (health now, replication later).
 *
 * Every response that is not a 2xx carries a plain-text, human-readable
 * message; every input error is a 4xx; only our own bugs can give a 500.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cors from '@fastify/cors';
import {
  SigsumError,
  VerificationError,
  leafFromBytes,
  parseAddLeafRequest,
  parseUint63,
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
import { leafOfRequest, verifyLeafRequestNode } from '../crypto/node-crypto.js';
import type { Sequencer, SubmitStatus } from '../sequencer/sequencer.js';
import type { PublishedTreeHead, Storage } from '../storage/types.js';
import { registerReplicationRoutes, type ReplicationRoutesOptions } from '../replication/primary-routes.js';

/** Largest add-leaf body accepted (a valid one is 288 bytes). */
export const ADD_LEAF_BODY_LIMIT = 1024;

/** A decision of an add-leaf admission hook (e.g. rate limiting): an HTTP status and message to refuse with. */
export interface Refusal {
  /** 4xx status, typically 429. */
  status: number;
  /** Plain-text message. */
  message: string;
}

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
  /** Fastify logger option (pino). */
  logger?: FastifyServerOptions['logger'];
  /**
   * How long add-leaf waits for a new leaf to be covered by a published tree
   * head before answering 202 (ms; default 0 = answer at once). Each waiting
   * request holds its connection for up to this long.
   */
  addLeafWaitMs?: number;
  /** Optional admission check for add-leaf (rate limits); runs after the signature check. */
  admitLeaf?: (req: FastifyRequest, leaf: { leaf: Uint8Array; leafHash: Uint8Array }) => Promise<Refusal | undefined> | Refusal | undefined;
}

/** Public endpoint names and their only method. */
export const ENDPOINTS: Record<string, 'GET' | 'POST'> = {
  'get-tree-head': 'GET',
  'get-inclusion-proof': 'GET',
  'get-consistency-proof': 'GET',
  'get-leaves': 'GET',
  'add-leaf': 'POST',
};

/** An HTTP error with a plain-text message. */
export class HttpError extends Error {
  /** The status to answer with. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function normalizePrefix(prefix: string | undefined): string {
  let p = prefix ?? '/';
  if (!p.startsWith('/')) p = '/' + p;
  if (!p.endsWith('/')) p += '/';
  return p;
}

const TEXT = 'text/plain; charset=utf-8';

function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(text);
}

function oneLine(s: string): string {
  return s.endsWith('\n') ? s : s + '\n';
}

/** Map any error to a status and a plain-text message (4xx for input, 500 only for our bugs). */
function errorResponse(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  // A well-formed request whose leaf signature does not verify is forbidden, not malformed.
  if (err instanceof VerificationError) return { status: 403, message: err.message };
  if (err instanceof SigsumError) return { status: 400, message: err.message };
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, message: 'request body too large' };
    return { status: e.statusCode, message: e.message ?? 'bad request' };
  }
  return { status: 500, message: 'internal error' };
}

function installErrorHandling(app: FastifyInstance, known: Map<string, string>): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, message } = errorResponse(err);
    if (status === 500) req.log.error({ err }, 'internal error');
    void sendText(reply, status, oneLine(message));
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    for (const [base, method] of known) {
      if (path === base || path.startsWith(base + '/')) {
        const allowed = req.method === method || (method === 'GET' && req.method === 'HEAD');
        // Right method, unroutable arguments (extra slash, over-long segment): malformed request.
        if (allowed) return sendText(reply, 400, `malformed request path for ${base.slice(base.lastIndexOf('/') + 1)}\n`);
        void reply.header('allow', method);
        return sendText(reply, 405, `method ${req.method} not allowed, use ${method}\n`);
      }
    }
    return sendText(reply, 404, 'unknown endpoint\n');
  });
}

function safe(v: bigint, what: string): number {
  return toSafeNumber(v, what);
}

/** Build (but do not start) the public app. */
export async function buildPublicApp(opts: PublicAppOptions): Promise<FastifyInstance> {
  const prefix = normalizePrefix(opts.prefix);
  const maxRange = opts.maxRange ?? 512;
  const waitMs = opts.addLeafWaitMs ?? 0;
  const { storage, sequencer } = opts;
  const app = Fastify({
    logger: opts.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ADD_LEAF_BODY_LIMIT,
    // Paths are case-sensitive and exact; no trailing-slash folding.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1000 },
  });
  if (opts.corsOrigins !== undefined && opts.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: opts.corsOrigins.includes('*') ? '*' : opts.corsOrigins,
      methods: ['GET', 'POST'],
    });
  }
  // Bodies are raw ASCII whatever the content type says; parse them ourselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: ADD_LEAF_BODY_LIMIT }, (_req, body, done) => done(null, body));

  const known = new Map<string, string>();
  for (const [name, method] of Object.entries(ENDPOINTS)) known.set(prefix + name, method);
  installErrorHandling(app, known);

  const publishedSize = (): bigint => BigInt(sequencer.published?.size ?? 0);

  // The served head changes once per publication: its text is made once.
  let rendered: { head: PublishedTreeHead; text: Buffer } | undefined;
  app.get(prefix + 'get-tree-head', (_req, reply) => {
    const head = sequencer.published;
    if (head === undefined) throw new HttpError(503, 'no tree head has been published yet');
    if (rendered?.head !== head) rendered = { head, text: Buffer.from(serializeCosignedTreeHead({ ...head, size: BigInt(head.size) }), 'latin1') };
    return reply.code(200).header('content-type', TEXT).send(rendered.text);
  });

  const withArgs = (name: string, handler: (rest: string, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply) => {
    app.get(prefix + name, async () => {
      throw new HttpError(400, `${name}: missing path arguments`);
    });
    app.get(prefix + name + '/*', async (req, reply) => handler((req.params as { '*': string })['*'], reply));
  };

  withArgs('get-inclusion-proof', (rest, reply) => {
    const { size, leafHash } = parseInclusionProofPath(rest);
    const current = publishedSize();
    if (size > current) throw new HttpError(400, `size ${size} is beyond the current tree head (size ${current})`);
    const n = safe(size, 'size');
    const index = storage.leafIndex(leafHash);
    if (index === undefined || index >= n) throw new HttpError(404, `leaf not found in the tree of size ${n}`);
    return sendText(reply, 200, serializeInclusionProof({ leafIndex: BigInt(index), path: inclusionProof(index, n, storage) }));
  });

  withArgs('get-consistency-proof', (rest, reply) => {
    const { oldSize, newSize } = parseConsistencyProofPath(rest);
    const current = publishedSize();
    if (newSize > current) throw new HttpError(400, `new_size ${newSize} is beyond the current tree head (size ${current})`);
    const path = consistencyProof(safe(oldSize, 'old_size'), safe(newSize, 'new_size'), storage);
    return sendText(reply, 200, serializeConsistencyProof({ path }));
  });

  withArgs('get-leaves', (rest, reply) => {
    const { startIndex: start, endIndex: end } = parseLeavesPath(rest);
    const current = publishedSize();
    if (current === 0n) throw new HttpError(400, 'the tree is empty');
    if (start >= current) throw new HttpError(400, `start ${start} is beyond the current tree head (size ${current})`);
    const s = safe(start, 'start');
    let stop = end > current ? current : end;
    if (stop - start > BigInt(maxRange)) stop = start + BigInt(maxRange);
    return sendText(reply, 200, serializeLeaves(storage.getLeaves(s, Number(stop)).map(leafFromBytes)));
  });

  // 200 means the served tree head covers the leaf (get-tree-head then
  // get-inclusion-proof succeed at once); 202 means not yet, re-send.
  app.post(prefix + 'add-leaf', async (req, reply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    const request = parseAddLeafRequest(body);
    const leaf = leafOfRequest(request);
    // A leaf the log already holds carries this very checksum, signature and
    // key hash (its leaf hash says so), and that signature verified when it
    // was first accepted: a re-send costs no signature check.
    const state = sequencer.leafState(leaf.leafHash);
    if (state === 'absent' && !verifyLeafRequestNode(request, leaf.checksum)) {
      throw new VerificationError('add-leaf.signature', 'leaf signature does not verify', 'signature');
    }
    let status: SubmitStatus;
    if (opts.admitLeaf === undefined) {
      status = sequencer.submit(leaf, state);
    } else {
      const refusal = await opts.admitLeaf(req, leaf);
      if (refusal !== undefined) throw new HttpError(refusal.status, refusal.message);
      status = sequencer.submit(leaf); // looked up again: the leaf may have moved on during the await
    }
    switch (status) {
      case 'published':
        return reply.code(200).send();
      case 'accepted':
        if (waitMs > 0 && (await sequencer.waitPublished(leaf.leafHash, waitMs))) return reply.code(200).send();
        return reply.code(202).send();
      case 'busy':
        throw new HttpError(503, 'too many leaves are waiting to be sequenced; retry later');
    }
  });

  return app;
}

/** Options of the internal app. */
export interface InternalAppOptions {
  /** The sequencer, for health figures. */
  sequencer: Sequencer;
  /** Storage, for health figures. */
  storage: Storage;
  /** Fastify logger option. */
  logger?: FastifyServerOptions['logger'];
  /** Hot standby (reference-log/src/replication): endpoint options and extra `/health` lines. */
  replication?: ReplicationRoutesOptions & { health?: () => string };
}

/**
 * Build the internal app (separate listener, not for the public): `GET /health`
 * answers `200` with key=value figures while the log is serving. Replication
 * endpoints are added here by the hot-standby work.
 */
export async function buildInternalApp(opts: InternalAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, logController: new LogController({ disableRequestLogging: true }), bodyLimit: ADD_LEAF_BODY_LIMIT });
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
  // Hot standby: the secondary pulls the durable tree from here.
  registerReplicationRoutes(app, { storage: opts.storage, current: () => ({ size: opts.sequencer.treeSize, rootHash: treeRoot(opts.sequencer.treeSize, opts.storage) }) }, opts.replication);
  return app;
}

/** Parse a decimal wire integer into a safe number (exported for replication/CLI use). */
export function parseSize(s: string, what: string): number {
  return safe(parseUint63(s, what), what);
}
