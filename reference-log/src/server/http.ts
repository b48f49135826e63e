/**
 * HTTP plumbing shared by every listener of the log (public, internal,
 * secondary): the error type handlers throw, the one mapping from errors to
 * plain-text responses, URL prefixes, listener URLs and the get-leaves range
 * clamp. Routes live elsewhere; this module imports none of them.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { SigsumError, VerificationError, parseUint63, toSafeNumber } from '@sigsum-kit/sdk';
import { StorageError } from '../errors.js';

/**
 * A refusal with an HTTP status and a plain-text message, thrown by route
 * handlers. (The SDK's `HttpError` is the client-side counterpart: a response
 * some server gave.)
 */
export class ApiError extends Error {
  /** The status to answer with. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** `prefix` as `/a/b/`: one leading and one trailing slash (`/` when empty or undefined). */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? '/' : `/${p}/`;
}

/**
 * `http://host:port` of a listening server, without a trailing slash. `host`
 * is the configured host (kept as written, IPv6 in brackets); without it the
 * bound address is used.
 */
export function listenerUrl(app: FastifyInstance, host?: string): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected listen address');
  const h = host ?? (address as AddressInfo).address;
  return `http://${h.includes(':') ? `[${h}]` : h}:${address.port}`;
}

/** Content type of every text answer. */
export const TEXT_PLAIN = 'text/plain; charset=utf-8';

/** Send a plain-text body. */
export function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type(TEXT_PLAIN).send(text);
}

function oneLine(s: string): string {
  return s.endsWith('\n') ? s : s + '\n';
}

/** Map any error to a status and a plain-text message (4xx for input, 500 only for our bugs). */
export function errorResponse(err: unknown): { status: number; message: string } {
  if (err instanceof ApiError) return { status: err.status, message: err.message };
  // A well-formed request whose leaf signature does not verify is forbidden, not malformed.
  if (err instanceof VerificationError) return { status: 403, message: err.message };
  // Damaged or unavailable storage: the request was fine, the log cannot answer it now.
  if (err instanceof StorageError) return { status: 503, message: `storage error (${err.code}): ${err.message}; the log's operator must check its database` };
  if (err instanceof SigsumError) return { status: 400, message: err.message };
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, message: 'request body too large' };
    return { status: e.statusCode, message: e.message ?? 'bad request' };
  }
  return { status: 500, message: 'internal error' };
}

/**
 * The answer to a request that failed with `err`: its status and one line of
 * text. Our own bugs and storage failures are logged (with the request's URL),
 * input errors are not.
 */
export function errorAnswer(err: unknown, log: Pick<FastifyBaseLogger, 'error'>, url: string): { status: number; text: string } {
  const { status, message } = errorResponse(err);
  if (status === 500) log.error({ err, url }, 'internal error');
  if (err instanceof StorageError) log.error({ code: err.code, err: err.message, url }, 'storage error');
  return { status, text: oneLine(message) };
}

/**
 * Plain-text answers for every error and unknown path. `known` maps endpoint
 * paths to their only method: a request under one of them with the wrong
 * method gets 405, with unroutable arguments 400; anything else 404.
 */
export function installErrorHandling(app: FastifyInstance, known: ReadonlyMap<string, string> = new Map()): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, text } = errorAnswer(err, req.log, req.url);
    void sendText(reply, status, text);
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

/** Parse a decimal wire integer into a safe number. */
export function parseSize(s: string, what: string): number {
  return toSafeNumber(parseUint63(s, what), what);
}

/**
 * The leaves a get-leaves request for [start, end) is answered with in a tree
 * of `size` leaves: at most `maxRange`, never past the end of the tree.
 * @param tree names the tree in messages (`current tree head`, `integrated tree`).
 * @throws ApiError 400 for an empty tree or a start at or past its end.
 */
export function leavesRange(start: bigint, end: bigint, size: bigint, maxRange: number, tree: string): { start: number; end: number } {
  if (size === 0n) throw new ApiError(400, 'the tree is empty');
  if (start >= size) throw new ApiError(400, `start ${start} is beyond the ${tree} (size ${size})`);
  let stop = end > size ? size : end;
  if (stop - start > BigInt(maxRange)) stop = start + BigInt(maxRange);
  return { start: toSafeNumber(start, 'start'), end: Number(stop) };
}
