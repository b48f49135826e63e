import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBMIT_TOKEN_NAMESPACE, keyHash, namespacedMessage, publicKeyFromSeed, sha256, signWithSeed, toHex, utf8 } from '@sigsum-kit/sdk';
import {
  RATE_LIMIT_WINDOW_MS,
  createDnsTxtResolver,
  createRateLimiter,
  parseRateLimitConfig,
  rateLimitAdmission,
  type RateLimitDecision,
  type RateLimitResult,
  type RateLimiterOptions,
  type RateLimitRule,
} from '../src/ratelimit/index.js';
import { startTestDnsServer, type TestDnsServer } from './ratelimit-dns-server.js';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const LOG_KEY = publicKeyFromSeed(seed(1));
const OTHER_LOG_KEY = publicKeyFromSeed(seed(2));
const TOKEN_SEED = seed(3);
const TOKEN_PUB = toHex(publicKeyFromSeed(TOKEN_SEED));
const token = (domain: string, s = TOKEN_SEED, logKey = LOG_KEY): string =>
  `${domain} ${toHex(signWithSeed(s, namespacedMessage(SUBMIT_TOKEN_NAMESPACE, logKey)))}`;
const SUBMITTER = keyHash(publicKeyFromSeed(seed(9)));
const LISTED = keyHash(publicKeyFromSeed(seed(10)));
const BLOCKED = keyHash(publicKeyFromSeed(seed(11)));
let leafCounter = 0;
const newLeaf = (): Uint8Array => sha256(utf8(`leaf ${leafCounter++}`));

let dns: TestDnsServer;
let clock = 0;

beforeAll(async () => {
  const keys = (n: number) => Array.from({ length: n }, (_, i) => toHex(publicKeyFromSeed(seed(100 + i))));
  dns = await startTestDnsServer({
    '_sigsum_v1.example.org': { txt: ['not a key', TOKEN_PUB.toUpperCase()] },
    '_sigsum_v1.ci.example.org': { txt: [TOKEN_PUB] },
    '_sigsum_v1.deep.ci.example.org': { txt: [TOKEN_PUB] },
    '_sigsum_v1.a.example.co.uk': { txt: [TOKEN_PUB] },
    '_sigsum_v1.b.example.co.uk': { txt: [TOKEN_PUB] },
    '_sigsum_v1.other.co.uk': { txt: [TOKEN_PUB] },
    '_sigsum_v1.ten.example': { txt: [...keys(9), TOKEN_PUB] },
    '_sigsum_v1.eleven.example': { txt: [...keys(10), TOKEN_PUB] },
    '_sigsum_v1.nokeys.example': { txt: [] },
    '_sigsum_v1.servfail.example': { rcode: 'servfail' },
    '_sigsum_v1.slow.example': { silent: true },
    '_sigsum_v1.test.sigsum.org': { txt: [TOKEN_PUB] },
    '_sigsum_v1.host.unknown-tld-for-test': { txt: [TOKEN_PUB] },
    '_sigsum_v1.xn--bcher-kva.example': { txt: [TOKEN_PUB] },
    '_sigsum_v1.rotating.example': { txt: [TOKEN_PUB], ttl: 60 },
  });
});
afterAll(async () => {
  await dns?.close();
});

function limiter(configText: string | undefined, extra: Partial<RateLimiterOptions> = {}) {
  const decisions: [RateLimitDecision, RateLimitRule][] = [];
  const l = createRateLimiter(configText === undefined ? undefined : parseRateLimitConfig(configText), {
    logPublicKey: LOG_KEY,
    resolver: createDnsTxtResolver({ server: dns.address, timeoutMs: 200, now: () => clock }),
    now: () => clock,
    onDecision: (d, r) => decisions.push([d, r]),
    ...extra,
  });
  return { l, decisions };
}

function refused(r: RateLimitResult): { status: number; message: string } {
  if (r.allowed) throw new Error(`expected a refusal, got ${r.decision}`);
  return { status: r.status, message: r.message };
}

const CONFIG = [
  `key ${toHex(LISTED)} 2`,
  `key ${toHex(BLOCKED)} 0`,
  'domain example.org 3',
  'domain ci.example.org 1',
  'domain ten.example 5',
  'domain eleven.example 5',
  'domain nokeys.example 5',
  'domain servfail.example 5',
  'domain slow.example 5',
  'domain missing.example 5',
  'domain bücher.example 1',
  'domain rotating.example 100',
  'public 2',
].join('\n');

describe('rate limiter', () => {
  it('without a config allows everything and ignores tokens', async () => {
    const { l, decisions } = limiter(undefined);
    expect(l.enabled).toBe(false);
    const r = await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: 'garbage' });
    expect(r).toMatchObject({ allowed: true, counted: false, decision: 'allowed', rule: 'none' });
    expect(decisions).toEqual([['allowed', 'none']]);
  });

  it('limits a listed key hash; repeats of a counted leaf are free; limit 0 blocks', async () => {
    const { l, decisions } = limiter(CONFIG);
    const a = newLeaf();
    const b = newLeaf();
    expect(await l.check({ submitterKeyHash: LISTED, leafHash: a })).toMatchObject({ allowed: true, counted: true, rule: 'key' });
    expect(await l.check({ submitterKeyHash: LISTED, leafHash: a })).toMatchObject({ allowed: true, counted: false, decision: 'duplicate' });
    expect(await l.check({ submitterKeyHash: LISTED, leafHash: b })).toMatchObject({ allowed: true, counted: true });
    expect(await l.check({ submitterKeyHash: LISTED, leafHash: b })).toMatchObject({ allowed: true, counted: false });
    expect(refused(await l.check({ submitterKeyHash: LISTED, leafHash: newLeaf() }))).toEqual({
      status: 429,
      message: `rate limit exceeded for submitter key hash ${toHex(LISTED)}: 2 of 2 leaves in the last 24 hours; try again later`,
    });
    expect(refused(await l.check({ submitterKeyHash: BLOCKED, leafHash: newLeaf() }))).toEqual({
      status: 429,
      message: `rate limit: submissions for submitter key hash ${toHex(BLOCKED)} are blocked (limit 0)`,
    });
    expect(l.usage()).toEqual([{ counter: `key:${toHex(LISTED)}`, used: 2 }]);
    expect(decisions.map((d) => d.join('/'))).toEqual([
      'allowed/key',
      'duplicate/key',
      'allowed/key',
      'duplicate/key',
      'over_limit/key',
      'over_limit/key',
    ]);
  });

  it('a key rule wins over the token, which is then not even looked up', async () => {
    const { l } = limiter(CONFIG);
    const r = await l.check({ submitterKeyHash: LISTED, leafHash: newLeaf(), tokenHeader: token('servfail.example') });
    expect(r).toMatchObject({ allowed: true, rule: 'key' });
  });

  it('refuses a submitter with neither a key rule nor a token with 403', async () => {
    const { l } = limiter(CONFIG);
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf() }))).toEqual({
      status: 403,
      message: `submitter key hash ${toHex(SUBMITTER)} is not on the rate-limit allow-list and the request has no sigsum-token header`,
    });
  });

  it('counts a domain and its subdomains together under the longest matching domain line', async () => {
    const { l } = limiter(CONFIG);
    // ci.example.org (limit 1) is more specific than example.org (limit 3); deep.ci.example.org counts towards ci.
    expect(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('deep.ci.example.org') })).toMatchObject({
      allowed: true,
      counted: true,
      rule: 'domain',
    });
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('CI.Example.Org') }))).toEqual({
      status: 429,
      message: 'rate limit exceeded for domain ci.example.org: 1 of 1 leaves in the last 24 hours; try again later',
    });
    // example.org itself (a malformed TXT record is skipped, the upper-case hex key verifies).
    for (let i = 0; i < 3; i++) {
      expect((await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('example.org') })).allowed).toBe(true);
    }
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('example.org') })).status).toBe(429);
    expect(l.usage()).toEqual([
      { counter: 'domain:ci.example.org', used: 1 },
      { counter: 'domain:example.org', used: 3 },
    ]);
  });

  it('counts public submissions per registered domain from the public suffix list', async () => {
    const { l } = limiter(CONFIG);
    const check = (domain: string) => l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token(domain) });
    expect(await check('a.example.co.uk')).toMatchObject({ allowed: true, rule: 'public' });
    expect(await check('b.example.co.uk')).toMatchObject({ allowed: true, rule: 'public' });
    expect(refused(await check('a.example.co.uk'))).toEqual({
      status: 429,
      message: 'rate limit exceeded for registered domain example.co.uk: 2 of 2 leaves in the last 24 hours; try again later',
    });
    expect(await check('other.co.uk')).toMatchObject({ allowed: true, rule: 'public' });
    expect(refused(await check('host.unknown-tld-for-test'))).toEqual({
      status: 403,
      message: 'domain host.unknown-tld-for-test does not end in a known public suffix',
    });
  });

  it('without public access refuses domains that no line lists with 403, before any DNS query', async () => {
    const { l } = limiter('domain example.org 3');
    const before = dns.queries.get('_sigsum_v1.other.co.uk') ?? 0;
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('other.co.uk') }))).toEqual({
      status: 403,
      message: 'domain other.co.uk is not on the rate-limit allow-list and public submissions are disabled',
    });
    expect(dns.queries.get('_sigsum_v1.other.co.uk') ?? 0).toBe(before);
  });

  it('normalizes international domains (Unicode or A-label) to one counter and queries the A-label name', async () => {
    const { l } = limiter(CONFIG);
    expect(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('BÜCHER.example') })).toMatchObject({ allowed: true, rule: 'domain' });
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('xn--bcher-kva.example') }))).toEqual({
      status: 429,
      message: 'rate limit exceeded for domain xn--bcher-kva.example: 1 of 1 leaves in the last 24 hours; try again later',
    });
    // One query: the second token's look-up is answered from the TTL cache.
    expect(dns.queries.get('_sigsum_v1.xn--bcher-kva.example')).toBe(1);
  });

  it('stops accepting a removed key once the cached DNS answer expires', async () => {
    const { l } = limiter(CONFIG);
    const check = () => l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('rotating.example') });
    expect((await check()).allowed).toBe(true);
    dns.zone.set('_sigsum_v1.rotating.example', { txt: [toHex(publicKeyFromSeed(seed(7)))], ttl: 60 });
    // Within the TTL the cached answer (and the verdict on it) still holds.
    clock += 59_000;
    expect((await check()).allowed).toBe(true);
    // A different, invalid token for the same domain is checked, not taken from the cache.
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('rotating.example', seed(8)) })).status).toBe(403);
    clock += 1_000;
    expect(refused(await check())).toEqual({
      status: 403,
      message:
        'sigsum-token for rotating.example is not valid: signature does not verify with any key at _sigsum_v1.rotating.example (1 tried, 0 malformed, 0 ignored beyond the first 10)',
    });
  });

  it('tries the first 10 TXT records only', async () => {
    const { l } = limiter(CONFIG);
    expect(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('ten.example') })).toMatchObject({ allowed: true });
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('eleven.example') }))).toEqual({
      status: 403,
      message:
        'sigsum-token for eleven.example is not valid: signature does not verify with any key at _sigsum_v1.eleven.example (10 tried, 0 malformed, 1 ignored beyond the first 10)',
    });
  });

  const badTokens: [string, string, string][] = [
    ['one field', 'example.org', 'invalid sigsum-token header: Sigsum-Token: expected <domain> <hex token>, got 1 space-separated parts'],
    ['two spaces', `example.org  ${'00'.repeat(64)}`, 'invalid sigsum-token header: Sigsum-Token: expected <domain> <hex token>, got 3 space-separated parts'],
    ['short signature', 'example.org abcd', 'invalid sigsum-token header: Sigsum-Token token: expected 64 bytes (128 hex digits), got 4 characters'],
    ['non-hex signature', `example.org ${'zz'.repeat(64)}`, 'invalid sigsum-token header: Sigsum-Token token: invalid hex character "z" at offset 0'],
    ['bad domain', `exa_mple..org ${'00'.repeat(64)}`, 'invalid sigsum-token header: sigsum-token domain: "exa_mple..org" has an invalid label ""'],
    ['empty domain', ` ${'00'.repeat(64)}`, 'invalid sigsum-token header: Sigsum-Token: empty domain'],
    ['overlong header', `${'a'.repeat(1000)}.example ${'00'.repeat(64)}`, 'invalid sigsum-token header: sigsum-token: longer than 1024 characters'],
    ['domain too long for its TXT name', `${('a'.repeat(60) + '.').repeat(4) + 'example'} ${'00'.repeat(64)}`, 'invalid sigsum-token header: sigsum-token domain: too long for _sigsum_v1.<domain> to be a DNS name'],
    ['url-like domain', `example.org/x ${'00'.repeat(64)}`, 'invalid sigsum-token header: sigsum-token domain: "example.org/x" is not a valid domain name'],
  ];
  it.each(badTokens)('refuses a malformed token header (%s) with 403', async (_name, header, message) => {
    const { l, decisions } = limiter(CONFIG);
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: header }))).toEqual({ status: 403, message });
    expect(decisions).toEqual([['bad_token', 'none']]);
  });

  it('refuses tokens that do not verify with 403', async () => {
    const { l } = limiter(CONFIG);
    const check = (header: string) => l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: header });
    expect(refused(await check(token('example.org', seed(4))))).toEqual({
      status: 403,
      message:
        'sigsum-token for example.org is not valid: signature does not verify with any key at _sigsum_v1.example.org (1 tried, 1 malformed, 0 ignored beyond the first 10)',
    });
    // A token made for another log does not verify for this one.
    expect(refused(await check(token('example.org', TOKEN_SEED, OTHER_LOG_KEY))).status).toBe(403);
    expect(refused(await check(token('nokeys.example')))).toEqual({
      status: 403,
      message: 'sigsum-token for nokeys.example is not valid: no TXT records at _sigsum_v1.nokeys.example',
    });
    expect(refused(await check(token('missing.example')))).toEqual({
      status: 403,
      message: 'sigsum-token for missing.example is not valid: no TXT records at _sigsum_v1.missing.example',
    });
  });

  it('refuses with 403 (never throws) when DNS fails', async () => {
    const { l, decisions } = limiter(CONFIG);
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('servfail.example') }))).toEqual({
      status: 403,
      message:
        'sigsum-token for servfail.example could not be verified: DNS look-up of _sigsum_v1.servfail.example failed: resolver answered SERVFAIL',
    });
    expect(refused(await l.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('slow.example') }))).toEqual({
      status: 403,
      message: `sigsum-token for slow.example could not be verified: DNS look-up of _sigsum_v1.slow.example failed: no answer from resolver ${dns.address} within 200 ms`,
    });
    expect(decisions).toEqual([
      ['dns_error', 'domain'],
      ['dns_error', 'domain'],
    ]);
  });

  it('blocks the public test domain unless enabled', async () => {
    const blocked = limiter(`${CONFIG}\ndomain sigsum.org 100`).l;
    expect(refused(await blocked.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('test.sigsum.org') }))).toEqual({
      status: 429,
      message: 'rate limit: submissions for domain test.sigsum.org are blocked (limit 0)',
    });
    // Blocked without a DNS query (nor a valid token: the block applies whatever the token says).
    expect(dns.queries.get('_sigsum_v1.test.sigsum.org') ?? 0).toBe(0);
    expect(refused(await blocked.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('x.test.sigsum.org', seed(5)) })).status).toBe(429);
    const enabled = limiter(CONFIG, { enableTestDomain: true }).l;
    expect(await enabled.check({ submitterKeyHash: SUBMITTER, leafHash: newLeaf(), tokenHeader: token('test.sigsum.org') })).toMatchObject({
      allowed: true,
      rule: 'public',
    });
  });

  it('forgets counted leaves after 24 hours (sliding window)', async () => {
    const { l } = limiter(`key ${toHex(LISTED)} 1`);
    const first = newLeaf();
    expect((await l.check({ submitterKeyHash: LISTED, leafHash: first })).allowed).toBe(true);
    clock += RATE_LIMIT_WINDOW_MS - 1;
    expect(refused(await l.check({ submitterKeyHash: LISTED, leafHash: newLeaf() })).status).toBe(429);
    clock += 1;
    expect(await l.check({ submitterKeyHash: LISTED, leafHash: newLeaf() })).toMatchObject({ allowed: true, counted: true });
    expect(l.usage()).toEqual([{ counter: `key:${toHex(LISTED)}`, used: 1 }]);
  });

  it('release() gives the quota back once', async () => {
    const { l } = limiter(`key ${toHex(LISTED)} 1`);
    const r = await l.check({ submitterKeyHash: LISTED, leafHash: newLeaf() });
    if (!r.allowed) throw new Error('expected allowed');
    r.release();
    r.release();
    expect(l.usage()).toEqual([]);
    expect((await l.check({ submitterKeyHash: LISTED, leafHash: newLeaf() })).allowed).toBe(true);
    expect(refused(await l.check({ submitterKeyHash: LISTED, leafHash: newLeaf() })).status).toBe(429);
  });

  it('counts a leaf once when concurrent requests for it wait on DNS together', async () => {
    const { l } = limiter('domain example.org 1');
    const leaf = newLeaf();
    const results = await Promise.all(
      [1, 2, 3].map(() => l.check({ submitterKeyHash: SUBMITTER, leafHash: leaf, tokenHeader: token('example.org') })),
    );
    // Whichever finishes its token check first counts the leaf; the others see a duplicate.
    expect(results.filter((r) => r.allowed && r.counted)).toHaveLength(1);
    expect(results.filter((r) => r.decision === 'duplicate')).toHaveLength(2);
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(l.usage()).toEqual([{ counter: 'domain:example.org', used: 1 }]);
  });
});

describe('rateLimitAdmission (the server hook)', () => {
  const leafBytes = (kh: Uint8Array): Uint8Array => {
    const leaf = new Uint8Array(128);
    leaf.set(kh, 96);
    return leaf;
  };

  it('takes the key hash from the leaf bytes and maps refusals to status and message', async () => {
    const admit = rateLimitAdmission(limiter(`key ${toHex(LISTED)} 1`).l);
    expect(await admit({ headers: {} }, { leaf: leafBytes(LISTED), leafHash: newLeaf() })).toBeUndefined();
    expect(await admit({ headers: {} }, { leaf: leafBytes(LISTED), leafHash: newLeaf() })).toEqual({
      status: 429,
      message: `rate limit exceeded for submitter key hash ${toHex(LISTED)}: 1 of 1 leaves in the last 24 hours; try again later`,
    });
    expect(await admit({ headers: { 'sigsum-token': token('example.org') } }, { leaf: leafBytes(SUBMITTER), leafHash: newLeaf() })).toEqual({
      status: 403,
      message: 'domain example.org is not on the rate-limit allow-list and public submissions are disabled',
    });
    expect(await admit({ headers: { 'sigsum-token': ['a', 'b'] } }, { leaf: leafBytes(SUBMITTER), leafHash: newLeaf() })).toEqual({
      status: 403,
      message: 'invalid sigsum-token header: sent 2 times, expected once',
    });
    await expect(admit({ headers: {} }, { leaf: new Uint8Array(10), leafHash: newLeaf() })).rejects.toThrow('leaf must be 128 bytes, got 10');
  });

  it('admits leaves already in the log without using quota', async () => {
    const { l } = limiter(`key ${toHex(LISTED)} 1`);
    const known = newLeaf();
    const admit = rateLimitAdmission(l, { isKnownLeaf: (h) => toHex(h) === toHex(known) });
    for (let i = 0; i < 3; i++) expect(await admit({ headers: {} }, { leaf: leafBytes(LISTED), leafHash: known })).toBeUndefined();
    expect(l.usage()).toEqual([]);
  });

  it('does nothing without limits', async () => {
    const admit = rateLimitAdmission(limiter(undefined).l);
    expect(await admit({ headers: { 'sigsum-token': 'junk' } }, { leaf: new Uint8Array(1), leafHash: newLeaf() })).toBeUndefined();
  });
});
