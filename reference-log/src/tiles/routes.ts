/**
 * The C2SP tlog-tiles read API on the public listener, beside the Sigsum v1
 * endpoints and under the same prefix: `checkpoint`, `tile/<L>/<N>[.p/<W>]`
 * and `tile/entries/<N>[.p/<W>]`, all bounded by the published tree head.
 *
 * Full tiles and bundles are immutable (long-lived Cache-Control, strong
 * ETag from the content); partial ones and the checkpoint are short-lived.
 * Entry bundles are gzip-compressed when the client accepts it.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParseError, TILE_WIDTH, formatTilePath, parseTilePath, tileExists, type TileRef } from '@sigsum-kit/sdk';
import type { PublishedTreeHead, Storage } from '../storage/types.js';
import { CHECKPOINT_CACHE_CONTROL, IMMUTABLE_CACHE_CONTROL, PARTIAL_CACHE_CONTROL, checkpointNote, tileBody } from './resources.js';

/** Options of {@link registerTileRoutes}. */
export interface TileRoutesOptions {
  /** The log's storage. */
  storage: Storage;
  /** The published head (the sequencer's); nothing beyond it is served. */
  published: () => PublishedTreeHead | undefined;
  /** The log's public key (the checkpoint's origin and key ID). */
  logPublicKey: () => Uint8Array | undefined;
  /** Endpoint prefix, starting and ending with `/`. */
  prefix: string;
  /** Public keys of the witnesses whose cosignatures go into the checkpoint (their key IDs need them). */
  witnessKeys?: readonly Uint8Array[];
  /** Full tiles and bundles kept in memory (default 1024, ≈ 8–33 KiB each). */
  cacheEntries?: number;
}

interface Resource {
  body: Uint8Array;
  etag: string;
  gzip?: Uint8Array;
}

function etagOf(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 40)}"`;
}

function acceptsGzip(req: FastifyRequest): boolean {
  const h = req.headers['accept-encoding'];
  if (typeof h !== 'string') return false;
  return h.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding!.trim().toLowerCase() !== 'gzip' && coding!.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function notModified(req: FastifyRequest, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  return typeof inm === 'string' && inm.split(',').some((e) => e.trim() === etag || e.trim() === '*');
}

/** Register the tiles routes on the public app. */
export function registerTileRoutes(app: FastifyInstance, opts: TileRoutesOptions): void {
  const { storage, prefix } = opts;
  const witnessKeys = opts.witnessKeys ?? [];
  const max = opts.cacheEntries ?? 1024;
  // Full resources only: their bytes never change, whatever is published later.
  const cache = new Map<string, Resource>();
  let checkpoint: { head: PublishedTreeHead; note: string; etag: string } | undefined;

  const text = (reply: FastifyReply, status: number, message: string) => reply.code(status).type('text/plain; charset=utf-8').send(message + '\n');

  app.get(prefix + 'checkpoint', async (req, reply) => {
    const head = opts.published();
    if (head === undefined) return text(reply, 503, 'no tree head has been published yet');
    const key = opts.logPublicKey();
    if (key === undefined) return text(reply, 503, 'the log key is not known yet');
    if (checkpoint?.head !== head) {
      const note = checkpointNote(head, key, witnessKeys);
      checkpoint = { head, note, etag: etagOf(new TextEncoder().encode(note)) };
    }
    reply.header('cache-control', CHECKPOINT_CACHE_CONTROL).header('etag', checkpoint.etag);
    if (notModified(req, checkpoint.etag)) return reply.code(304).send();
    return reply.code(200).type('text/plain; charset=utf-8').send(checkpoint.note);
  });

  const serveTile = async (req: FastifyRequest, reply: FastifyReply, rest: string) => {
    let t: TileRef;
    try {
      t = parseTilePath('tile/' + rest);
    } catch (e) {
      if (e instanceof ParseError) return text(reply, 400, e.message);
      throw e;
    }
    const size = opts.published()?.size ?? 0;
    if (!tileExists(size, t)) return text(reply, 404, `${formatTilePath(t)} is beyond the published tree (size ${size})`);
    const path = formatTilePath(t);
    const full = t.width === TILE_WIDTH;
    let res = full ? cache.get(path) : undefined;
    if (res === undefined) {
      const body = tileBody(storage, t);
      res = { body, etag: etagOf(body) };
      if (full) {
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(path, res);
      }
    }
    reply.header('cache-control', full ? IMMUTABLE_CACHE_CONTROL : PARTIAL_CACHE_CONTROL);
    if (t.entries) reply.header('vary', 'Accept-Encoding');
    const gzip = t.entries && acceptsGzip(req);
    // A strong ETag names one representation: the gzip one gets its own.
    const etag = gzip ? res.etag.slice(0, -1) + '-gzip"' : res.etag;
    reply.header('etag', etag);
    if (notModified(req, etag)) return reply.code(304).send();
    reply.type('application/octet-stream');
    if (gzip) {
      res.gzip ??= gzipSync(res.body);
      return reply.code(200).header('content-encoding', 'gzip').send(Buffer.from(res.gzip.buffer, res.gzip.byteOffset, res.gzip.byteLength));
    }
    return reply.code(200).send(Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength));
  };
  app.get(prefix + 'tile/*', async (req, reply) => serveTile(req, reply, (req.params as { '*': string })['*']));
}
