/**
 * TXT look-ups for submit tokens: a DNS client aimed at a configurable
 * resolver (so tests can run a real DNS server on 127.0.0.1), with answers
 * cached for their TTL. Node's `dns.Resolver` cannot report TXT TTLs, so the
 * query goes through the `dns2` client, which returns the whole response.
 */
import { isIP } from 'node:net';
import { getServers } from 'node:dns';
import DNS from 'dns2';
import { DnsError, type DnsErrorCode } from '../errors.js';

/** The TXT records of one name (each record's character-strings joined, as Go's `LookupTXT` does). */
export interface TxtAnswer {
  /** Records in answer order. Empty when the name exists without TXT records. */
  readonly records: readonly string[];
  /** Seconds this answer may be cached (smallest record TTL; for empty answers the SOA negative TTL, or 0). */
  readonly ttl: number;
}

/** What the rate limiter needs from DNS. */
export interface TxtResolver {
  /**
   * TXT records of `name` (an A-label name). NXDOMAIN and "no TXT records"
   * both resolve to an empty answer; every other failure rejects with {@link DnsError}.
   */
  resolveTxt(name: string): Promise<TxtAnswer>;
}

/** Options of {@link createDnsTxtResolver}. */
export interface DnsTxtResolverOptions {
  /** Resolver address `host` or `host:port` (IPv4 or `[IPv6]:port`). Default: the first system resolver. */
  server?: string;
  /** Per-look-up timeout in milliseconds (UDP and a TCP retry together). Default 3000. */
  timeoutMs?: number;
  /** Upper bound on cached TTLs in seconds, so a huge TTL cannot pin a revoked key. Default 3600. */
  maxTtlSeconds?: number;
  /** Most names kept in the cache; the oldest entry is evicted first. Default 10000. */
  maxEntries?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** A resolver with its cache statistics (for tests and metrics). */
export interface CachingTxtResolver extends TxtResolver {
  /** Queries actually sent (cache misses). */
  readonly queries: number;
  /** Forget every cached answer. */
  clear(): void;
}

const RCODE_NXDOMAIN = 3;
const TYPE_TXT = 16;
const TYPE_SOA = 6;

/** Split `host[:port]` / `[v6]:port` into address and port (default 53). */
export function parseResolverAddress(server: string): { host: string; port: number } {
  let host = server;
  let port = 53;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (isIP(server) === 0) {
    const m = /^([^:]+):(\d+)$/.exec(server);
    if (!m) throw new DnsError('dns.config', `resolver address ${JSON.stringify(server)} is not host[:port]`);
    host = m[1]!;
    port = Number(m[2]);
  }
  if (isIP(host) === 0) throw new DnsError('dns.config', `resolver host ${JSON.stringify(host)} is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DnsError('dns.config', `resolver port ${port} is out of range`);
  return { host, port };
}

function joinTxt(data: string | string[] | undefined): string {
  if (data === undefined) return '';
  return Array.isArray(data) ? data.join('') : data;
}

interface CacheEntry {
  readonly answer: TxtAnswer;
  readonly expiresAt: number;
}

/** Create a caching TXT resolver that queries `options.server` over UDP (TCP on truncation). */
export function createDnsTxtResolver(options: DnsTxtResolverOptions = {}): CachingTxtResolver {
  const system = getServers()[0] ?? '127.0.0.1';
  const { host, port } = parseResolverAddress(options.server ?? (isIP(system) === 6 ? `[${system}]` : system));
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxTtl = options.maxTtlSeconds ?? 3600;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const query = DNS.UDPClient({ dns: host, port, timeout: timeoutMs, socketType: isIP(host) === 6 ? 'udp6' : 'udp4' });
  const cache = new Map<string, CacheEntry>();
  const inflight = new Map<string, Promise<TxtAnswer>>();
  let queries = 0;

  async function lookup(name: string): Promise<TxtAnswer> {
    queries++;
    let response: DNS.Packet;
    let timer: NodeJS.Timeout | undefined;
    try {
      // dns2 bounds the UDP exchange but not its TCP fallback (after a truncated answer): bound both here.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('deadline'), { code: 'ETIMEDOUT' })), timeoutMs);
      });
      response = await Promise.race([query(name, 'TXT'), deadline]);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ETIMEDOUT') throw new DnsError('dns.timeout', `no answer from resolver ${host}:${port} within ${timeoutMs} ms`, name);
      throw new DnsError('dns.network', `query to resolver ${host}:${port} failed: ${err.message}`, name);
    } finally {
      clearTimeout(timer);
    }
    const rcode = response.header.rcode;
    if (rcode !== 0 && rcode !== RCODE_NXDOMAIN) {
      const [code, what]: [DnsErrorCode, string] = rcode === 2 ? ['dns.servfail', 'SERVFAIL'] : rcode === 5 ? ['dns.refused', 'REFUSED'] : ['dns.rcode', `response code ${rcode}`];
      throw new DnsError(code, `resolver answered ${what}`, name);
    }
    const txt = response.answers.filter((rr) => rr.type === TYPE_TXT);
    if (txt.length > 0) {
      return { records: txt.map((rr) => joinTxt(rr.data)), ttl: Math.min(...txt.map((rr) => rr.ttl)) };
    }
    // Negative answer (NXDOMAIN or no TXT): cacheable for the SOA's negative TTL (RFC 2308), else not at all.
    const soa = response.authorities.find((rr) => rr.type === TYPE_SOA);
    const ttl = soa === undefined ? 0 : Math.min(soa.ttl, soa.minimum ?? soa.ttl);
    return { records: [], ttl };
  }

  return {
    get queries() {
      return queries;
    },
    clear() {
      cache.clear();
    },
    async resolveTxt(rawName) {
      const name = rawName.toLowerCase();
      const hit = cache.get(name);
      if (hit !== undefined) {
        if (hit.expiresAt > now()) return hit.answer;
        cache.delete(name);
      }
      // Concurrent requests for one name share one query.
      let pending = inflight.get(name);
      if (pending === undefined) {
        pending = lookup(name).finally(() => inflight.delete(name));
        inflight.set(name, pending);
      }
      const answer = await pending;
      const ttl = Math.min(Math.max(0, answer.ttl), maxTtl);
      if (ttl > 0 && !cache.has(name)) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
        cache.set(name, { answer, expiresAt: now() + ttl * 1000 });
      }
      return answer;
    },
  };
}
