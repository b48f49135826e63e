/**
 * Connection limits and timeouts of a listener (docs/operations.md,
 * "Connection limits"). Every listener of the log, the secondary and the
 * witness gets them, so a client that opens connections and never finishes
 * its request cannot hold descriptors for longer than the request timeout,
 * nor more of them than the listener's cap.
 *
 * They map onto node:http's own settings (set on the server Fastify serves on);
 * node closes what overstays, there are no timers of ours.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';

/** Timeouts and caps of one listener. */
export interface ListenerLimits {
  /** Time allowed to receive a request's headers, ms (node `headersTimeout`; at most `requestTimeoutMs`). */
  headersTimeoutMs: number;
  /** Time allowed to receive a whole request, headers and body, ms (node `requestTimeout`). */
  requestTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed, ms (node socket timeout; also bounds a stalled response write). */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long, ms (node `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** Requests served on one connection before it is closed (0 = no limit). */
  maxRequestsPerSocket: number;
  /** Most open connections; further ones are closed at once (node `server.maxConnections`). */
  maxConnections: number;
}

/** Default timeouts (like Sunlight's 5 s read / 15 s write). */
export const DEFAULT_TIMEOUTS = {
  headersTimeoutMs: 5000,
  requestTimeoutMs: 5000,
  idleTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5000,
  maxRequestsPerSocket: 1000,
} as const;

/** Default cap of an internal listener (health, replication, metrics: a few known peers). */
export const DEFAULT_INTERNAL_MAX_CONNECTIONS = 64;

/** Cap of a public listener when the descriptor limit cannot be read. */
export const FALLBACK_PUBLIC_MAX_CONNECTIONS = 512;

/**
 * The process's soft limit on open file descriptors (RLIMIT_NOFILE), read
 * from /proc/self/limits; undefined where that does not exist or says
 * "unlimited" (Node has no getrlimit).
 */
export function descriptorLimit(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+)\s/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Default cap of a public listener: half the descriptor limit, so the other
 * half stays for the internal listener, SQLite, witness requests and
 * replication however many clients the public side has.
 */
export function defaultPublicMaxConnections(limit = descriptorLimit()): number {
  return limit === undefined ? FALLBACK_PUBLIC_MAX_CONNECTIONS : Math.max(1, Math.floor(limit / 2));
}

/** Descriptors kept free beyond the listeners' caps (database, logs, outgoing requests). */
export const DESCRIPTOR_HEADROOM = 32;

/**
 * A warning when the caps of a process's listeners together leave fewer than
 * {@link DESCRIPTOR_HEADROOM} descriptors free; undefined when they fit or
 * the limit is unknown.
 */
export function descriptorWarning(caps: readonly number[], limit = descriptorLimit()): string | undefined {
  if (limit === undefined) return undefined;
  const total = caps.reduce((a, b) => a + b, 0);
  if (total + DESCRIPTOR_HEADROOM <= limit) return undefined;
  return (
    `listener connection caps (${caps.join(' + ')} = ${total}) are not below the open-file limit ${limit} with ${DESCRIPTOR_HEADROOM} to spare: ` +
    'a flood of connections can starve the database and the internal API; raise the limit (systemd LimitNOFILE) or lower maxConnections'
  );
}

/**
 * Sees each request before Fastify does and answers the ones it can serve
 * itself (returns true); the rest go on to Fastify untouched.
 */
export type FrontDoor = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * A node:http server that applies `limits`: both timeouts, the idle socket
 * timeout, keep-alive, requests per connection and the connection cap.
 */
export function limitedServer(limits: ListenerLimits, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // node enforces the two timeouts above only when it checks, every 30 s by default.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.requestTimeoutMs / 4))),
    },
    handler,
  );
  server.setTimeout(limits.idleTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.maxConnections = limits.maxConnections;
  return server;
}

/**
 * The Fastify options of a listener with `limits`: Fastify serves on a
 * {@link limitedServer}, behind `front` when one is given.
 */
export function listenerOptions(limits: ListenerLimits, front?: FrontDoor): { serverFactory: FastifyServerFactory } {
  return {
    serverFactory: (handler) =>
      limitedServer(
        limits,
        front === undefined
          ? handler
          : (req, res) => {
              if (!front(req, res)) handler(req, res);
            },
      ),
  };
}

function defined(o: Partial<ListenerLimits>): Partial<ListenerLimits> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Limits of a public listener: defaults, the derived cap, then the `overrides` given. */
export function publicLimits(overrides: Partial<ListenerLimits> = {}): ListenerLimits {
  return { ...DEFAULT_TIMEOUTS, maxConnections: defaultPublicMaxConnections(), ...defined(overrides) };
}

/** Limits of an internal listener: defaults, the internal cap, then the `overrides` given. */
export function internalLimits(overrides: Partial<ListenerLimits> = {}): ListenerLimits {
  return { ...DEFAULT_TIMEOUTS, maxConnections: DEFAULT_INTERNAL_MAX_CONNECTIONS, ...defined(overrides) };
}
