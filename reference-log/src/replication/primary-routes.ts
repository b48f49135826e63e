/**
 * The primary's side of replication: internal endpoints from which the
 * secondary pulls the durable (integrated, not necessarily published) tree.
 * Registered on the internal listener only, never on the public one.
 *
 * `get-leaves` behaves as log-go's internal one: a start index equal to the
 * tree size is "at the end of the tree" (404, what log-go's secondary
 * expects when it is up to date), a start index beyond it is a bad request
 * (400). With `api: "log-go"` only `get-leaves` is served, as log-go's
 * primary does (tests use it to stand in for log-go).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { leafFromBytes, serializeLeaves, serializeTreeHead, toSafeNumber } from '@sigsum-kit/sdk';
import { parseLeavesPath, treeRoot } from '@sigsum-kit/sdk/internal';
import { ApiError, parseSize, sendText } from '../server/http.js';
import type { Storage } from '../storage/types.js';
import { REPLICATION_ENDPOINTS, tokenMatches, type ReplicationApi } from './protocol.js';

/** What the replication endpoints read. */
export interface ReplicationSource {
  /** The log's storage (leaves and nodes). */
  storage: Storage;
  /** The integrated tree size and its root (the sequencer's in-memory frontier). */
  current(): { size: number; rootHash: Uint8Array };
}

/** Options of {@link registerReplicationRoutes}. */
export interface ReplicationRoutesOptions {
  /** Shared bearer token; empty/undefined = no token required. */
  token?: string;
  /** Most leaves per get-leaves answer (default 512). */
  maxRange?: number;
  /** `sigsum-kit` (default): also `get-tree-head-unsigned[/<size>]`; `log-go`: only `get-leaves`, like log-go's primary. */
  api?: ReplicationApi;
}

function checkToken(req: FastifyRequest, token: string | undefined): void {
  if (!tokenMatches(req.headers.authorization, token)) throw new ApiError(401, 'missing or wrong bearer token');
}

/** Add `get-leaves/<start>/<end>` and (unless `api` is `log-go`) `get-tree-head-unsigned[/<size>]` to an internal app. */
export function registerReplicationRoutes(app: FastifyInstance, source: ReplicationSource, opts: ReplicationRoutesOptions = {}): void {
  const maxRange = opts.maxRange ?? 512;
  const { leaves } = REPLICATION_ENDPOINTS;
  if (opts.api !== 'log-go') registerTreeHeadRoutes(app, source, opts.token);

  app.get('/' + leaves, async (req) => {
    checkToken(req, opts.token);
    throw new ApiError(400, `${leaves}: missing path arguments`);
  });

  app.get('/' + leaves + '/*', async (req, reply) => {
    checkToken(req, opts.token);
    const { startIndex, endIndex } = parseLeavesPath((req.params as { '*': string })['*']);
    const size = BigInt(source.current().size);
    if (startIndex > size) throw new ApiError(400, `start ${startIndex} is beyond the integrated tree (size ${size})`);
    if (startIndex === size) throw new ApiError(404, `at end of tree (size ${size})`);
    let stop = endIndex > size ? size : endIndex;
    if (stop - startIndex > BigInt(maxRange)) stop = startIndex + BigInt(maxRange);
    const start = toSafeNumber(startIndex, 'start');
    return sendText(reply, 200, serializeLeaves(source.storage.getLeaves(start, Number(stop)).map(leafFromBytes)));
  });
}

/** `get-tree-head-unsigned[/<size>]`: the integrated tree's size and root, now or at an earlier size. */
function registerTreeHeadRoutes(app: FastifyInstance, source: ReplicationSource, token: string | undefined): void {
  const { treeHeadUnsigned } = REPLICATION_ENDPOINTS;
  const opts = { token };
  app.get('/' + treeHeadUnsigned, async (req, reply) => {
    checkToken(req, opts.token);
    const { size, rootHash } = source.current();
    return sendText(reply, 200, serializeTreeHead({ size: BigInt(size), rootHash }));
  });

  app.get('/' + treeHeadUnsigned + '/:size', async (req, reply) => {
    checkToken(req, opts.token);
    const size = parseSize((req.params as { size: string }).size, 'size');
    const current = source.current();
    if (size > current.size) throw new ApiError(400, `size ${size} is beyond the integrated tree (size ${current.size})`);
    const rootHash = size === current.size ? current.rootHash : treeRoot(size, source.storage);
    return sendText(reply, 200, serializeTreeHead({ size: BigInt(size), rootHash }));
  });
}
