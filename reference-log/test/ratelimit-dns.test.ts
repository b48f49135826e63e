import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsTxtResolver, parseResolverAddress } from '../src/ratelimit/index.js';
import { DnsError } from '../src/errors.js';
import { startTestDnsServer, type TestDnsServer } from './ratelimit-dns-server.js';

let dns: TestDnsServer;
let clock = 1_000_000;
const now = (): number => clock;

beforeAll(async () => {
  dns = await startTestDnsServer({
    'one.example': { txt: ['hello'], ttl: 60 },
    'split.example': { txt: [['ab', 'cd'], 'ef'], ttl: 120 },
    'zero-ttl.example': { txt: ['x'], ttl: 0 },
    'huge-ttl.example': { txt: ['x'], ttl: 86400 },
    'servfail.example': { rcode: 'servfail' },
    'refused.example': { rcode: 'refused' },
    'silent.example': { silent: true },
    'hang-tcp.example': { truncateThenHang: true },
    // 12 records of 64 characters do not fit in 512 bytes: the UDP answer is truncated and the client retries over TCP.
    'big.example': { txt: Array.from({ length: 12 }, (_, i) => i.toString(16).repeat(64)), ttl: 60 },
  });
});
afterAll(async () => {
  await dns?.close();
});

describe('createDnsTxtResolver against a real DNS server on 127.0.0.1', () => {
  it('returns records in order, joining the character-strings of one record', async () => {
    const resolver = createDnsTxtResolver({ server: dns.address, now });
    expect(await resolver.resolveTxt('split.example')).toEqual({ records: ['abcd', 'ef'], ttl: 120 });
  });

  it('caches answers for their TTL and queries again after it', async () => {
    const resolver = createDnsTxtResolver({ server: dns.address, now });
    const before = dns.queries.get('one.example') ?? 0;
    await resolver.resolveTxt('one.example');
    clock += 59_000;
    await resolver.resolveTxt('ONE.example');
    expect(dns.queries.get('one.example')).toBe(before + 1);
    expect(resolver.queries).toBe(1);
    clock += 1_000;
    await resolver.resolveTxt('one.example');
    expect(dns.queries.get('one.example')).toBe(before + 2);
    expect(resolver.queries).toBe(2);
  });

  it('does not cache TTL 0 and caps huge TTLs', async () => {
    const resolver = createDnsTxtResolver({ server: dns.address, now, maxTtlSeconds: 10 });
    await resolver.resolveTxt('zero-ttl.example');
    await resolver.resolveTxt('zero-ttl.example');
    expect(resolver.queries).toBe(2);
    await resolver.resolveTxt('huge-ttl.example');
    clock += 9_000;
    await resolver.resolveTxt('huge-ttl.example');
    expect(resolver.queries).toBe(3);
    clock += 1_000;
    await resolver.resolveTxt('huge-ttl.example');
    expect(resolver.queries).toBe(4);
  });

  it('shares one query between concurrent look-ups of a name', async () => {
    const resolver = createDnsTxtResolver({ server: dns.address, now });
    const answers = await Promise.all([1, 2, 3, 4].map(() => resolver.resolveTxt('split.example')));
    expect(answers.every((a) => a.records.join() === 'abcd,ef')).toBe(true);
    expect(resolver.queries).toBe(1);
  });

  it('answers NXDOMAIN with no records, cached for the SOA negative TTL', async () => {
    const resolver = createDnsTxtResolver({ server: dns.address, now });
    expect(await resolver.resolveTxt('missing.example')).toEqual({ records: [], ttl: 30 });
    await resolver.resolveTxt('missing.example');
    expect(resolver.queries).toBe(1);
    clock += 30_000;
    await resolver.resolveTxt('missing.example');
    expect(resolver.queries).toBe(2);
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    const resolver = createDnsTxtResolver({ server: dns.address, now });
    const answer = await resolver.resolveTxt('big.example');
    expect(answer.records).toHaveLength(12);
    expect(answer.records[11]).toBe('b'.repeat(64));
  });

  it('turns SERVFAIL, REFUSED, timeouts and network errors into DnsError, never cached', async () => {
    const resolver = createDnsTxtResolver({ server: dns.address, now, timeoutMs: 200 });
    const failure = async (name: string): Promise<DnsError> => {
      try {
        await resolver.resolveTxt(name);
      } catch (e) {
        expect(e).toBeInstanceOf(DnsError);
        return e as DnsError;
      }
      throw new Error('expected a DnsError');
    };
    const servfail = await failure('servfail.example');
    expect([servfail.code, servfail.message]).toEqual(['dns.servfail', 'servfail.example: resolver answered SERVFAIL']);
    await failure('servfail.example');
    expect(dns.queries.get('servfail.example')).toBe(2);
    const refused = await failure('refused.example');
    expect([refused.code, refused.message]).toEqual(['dns.refused', 'refused.example: resolver answered REFUSED']);
    const timeout = await failure('silent.example');
    expect([timeout.code, timeout.message]).toEqual(['dns.timeout', `silent.example: no answer from resolver ${dns.address} within 200 ms`]);
    // A truncated UDP answer whose TCP retry never gets an answer is bounded by the same timeout.
    const tcp = await failure('hang-tcp.example');
    expect([tcp.code, tcp.message]).toEqual(['dns.timeout', `hang-tcp.example: no answer from resolver ${dns.address} within 200 ms`]);
    expect(dns.queries.get('hang-tcp.example')).toBe(2); // once over UDP, once over TCP
  });

  it('parses resolver addresses and rejects bad ones', () => {
    expect(parseResolverAddress('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseResolverAddress('127.0.0.1')).toEqual({ host: '127.0.0.1', port: 53 });
    expect(parseResolverAddress('::1')).toEqual({ host: '::1', port: 53 });
    expect(parseResolverAddress('[::1]:53')).toEqual({ host: '::1', port: 53 });
    expect(() => parseResolverAddress('dns.example:53')).toThrow('resolver host "dns.example" is not an IP address');
    expect(() => parseResolverAddress('127.0.0.1:99999')).toThrow('resolver port 99999 is out of range');
    expect(() => parseResolverAddress('127.0.0.1:')).toThrow('resolver address "127.0.0.1:" is not host[:port]');
  });
});
