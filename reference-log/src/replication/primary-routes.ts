/**
 * The primary's side of replication: internal endpoints from which the
 * secondary pulls the durable (integrated, not necessarily published) tree.
 * Registered on the internal listener only, never on the public one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { leafFromBytes, serializeLeaves, serializeTreeHead, toSafeNumber } from '@sigsum-kit/sdk';
import { parseLeavesPath, treeRoot } from '@sigsum-kit/sdk/internal';
import { HttpError, parseSize } from '../server/app.js';
import type { Storage } from '../storage/types.js';
import { REPLICATION_ENDPOINTS, tokenMatches } from './protocol.js';

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
}

function checkToken(req: FastifyRequest, token: string | undefined): void {
  if (!tokenMatches(req.headers.authorization, token)) throw new HttpError(401, 'missing or wrong bearer token');
}

function text(reply: FastifyReply, body: string): FastifyReply {
  return reply.code(200).type('text/plain; charset=utf-8').send(body);
}

/** Add `get-tree-head-unsigned[/<size>]` and `get-leaves/<start>/<end>` to an internal app. */
export function registerReplicationRoutes(app: FastifyInstance, source: ReplicationSource, opts: ReplicationRoutesOptions = {}): void {
  const maxRange = opts.maxRange ?? 512;
  const { treeHeadUnsigned, leaves } = REPLICATION_ENDPOINTS;

  app.get('/' + treeHeadUnsigned, async (req, reply) => {
    checkToken(req, opts.token);
    const { size, rootHash } = source.current();
    return text(reply, serializeTreeHead({ size: BigInt(size), rootHash }));
  });

  app.get('/' + treeHeadUnsigned + '/:size', async (req, reply) => {
    checkToken(req, opts.token);
    const size = parseSize((req.params as { size: string }).size, 'size');
    const current = source.current();
    if (size > current.size) throw new HttpError(400, `size ${size} is beyond the integrated tree (size ${current.size})`);
    const rootHash = size === current.size ? current.rootHash : treeRoot(size, source.storage);
    return text(reply, serializeTreeHead({ size: BigInt(size), rootHash }));
  });

  app.get('/' + leaves, async (req) => {
    checkToken(req, opts.token);
    throw new HttpError(400, `${leaves}: missing path arguments`);
  });

  app.get('/' + leaves + '/*', async (req, reply) => {
    checkToken(req, opts.token);
    const { startIndex, endIndex } = parseLeavesPath((req.params as { '*': string })['*']);
    const size = BigInt(source.current().size);
    if (size === 0n) throw new HttpError(400, 'the tree is empty');
    if (startIndex >= size) throw new HttpError(400, `start ${startIndex} is beyond the integrated tree (size ${size})`);
    let stop = endIndex > size ? size : endIndex;
    if (stop - startIndex > BigInt(maxRange)) stop = startIndex + BigInt(maxRange);
    const start = toSafeNumber(startIndex, 'start');
    return text(reply, serializeLeaves(source.storage.getLeaves(start, Number(stop)).map(leafFromBytes)));
  });
}
