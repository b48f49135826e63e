/**
 * End to end over real HTTP: the built `sigsum-log primary` process with a
 * rate-limit config, verifying submit tokens against a real DNS server on
 * 127.0.0.1, and its metrics scraped from the internal listener.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBMIT_TOKEN_NAMESPACE, keyHash, namespacedMessage, parseOpenSshPublicKey, publicKeyFromSeed, sha256, signLeaf, SeedSigner, signWithSeed, toHex, utf8 } from '@sigsum-kit/sdk';
import { get, initLog, makeSubmissions, runToExit, startLogProcess, tempDir, type LogProcess, type Submission } from './log-helpers.js';
import { startTestDnsServer, type TestDnsServer } from './ratelimit-dns-server.js';
import { sample } from './prometheus-text.js';

const TOKEN_SEED = sha256(utf8('rate-limit key of example.org'));

let dns: TestDnsServer;
let log: LogProcess;
let tmp: { dir: string; cleanup: () => void };
let token: (domain: string, seed?: Uint8Array) => string;
let listed: Submission[];

async function addLeaf(body: string, tokenHeader?: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = tokenHeader === undefined ? {} : { 'sigsum-token': tokenHeader };
  const r = await fetch(log.url + 'add-leaf', { method: 'POST', body, headers });
  return { status: r.status, text: await r.text() };
}

beforeAll(async () => {
  dns = await startTestDnsServer({
    '_sigsum_v1.example.org': { txt: [toHex(publicKeyFromSeed(TOKEN_SEED))], ttl: 300 },
    // Each domain publishes its own keys; ci.example.org still counts towards the example.org line.
    '_sigsum_v1.ci.example.org': { txt: [toHex(publicKeyFromSeed(TOKEN_SEED))], ttl: 300 },
    '_sigsum_v1.servfail.example': { rcode: 'servfail' },
  });
  tmp = tempDir('sigsum-ratelimit-it-');
  listed = await makeSubmissions(2, 'listed key');
  const listedKeyHash = keyHash(new SeedSigner(sha256(utf8('sigsum-kit test listed key'))).publicKey);
  writeFileSync(
    join(tmp.dir, 'limits.conf'),
    ['# test limits', 'domain example.org 2', 'domain servfail.example 5', `key ${toHex(listedKeyHash)} 1`].join('\n') + '\n',
  );
  const configPath = initLog(tmp.dir, { intervalMs: 100, addLeafWaitMs: 0, rateLimitFile: 'limits.conf', dnsResolver: dns.address });
  const logKey = parseOpenSshPublicKey(readFileSync(join(tmp.dir, 'log.key.pub'), 'utf8')).publicKey;
  token = (domain, seed = TOKEN_SEED) => `${domain} ${toHex(signWithSeed(seed, namespacedMessage(SUBMIT_TOKEN_NAMESPACE, logKey)))}`;
  log = await startLogProcess(configPath);
});

afterAll(async () => {
  await log?.stop();
  await dns?.close();
  tmp?.cleanup();
});

describe('rate-limited log over real HTTP', () => {
  it('enforces per-domain limits with 429; retries of the same leaf are not counted', async () => {
    const [a, b, c] = await makeSubmissions(3, 'domain submitter');
    expect((await addLeaf(a!.body, token('example.org'))).status).toBe(202);
    // The usual poll-until-200 loop: repeats of a counted leaf are free.
    for (let i = 0; i < 3; i++) expect([200, 202]).toContain((await addLeaf(a!.body, token('example.org'))).status);
    expect((await addLeaf(b!.body, token('ci.example.org'))).status).toBe(202);
    expect(await addLeaf(c!.body, token('example.org'))).toEqual({
      status: 429,
      text: 'rate limit exceeded for domain example.org: 2 of 2 leaves in the last 24 hours; try again later\n',
    });
  });

  it('enforces per-key limits with 429', async () => {
    expect((await addLeaf(listed[0]!.body)).status).toBe(202);
    expect(await addLeaf(listed[1]!.body)).toEqual({
      status: 429,
      text: `rate limit exceeded for submitter key hash ${toHex(keyHash(new SeedSigner(sha256(utf8('sigsum-kit test listed key'))).publicKey))}: 1 of 1 leaves in the last 24 hours; try again later\n`,
    });
  });

  it('refuses a missing, malformed or wrong token and an unresolvable domain with 403', async () => {
    const [leaf] = await makeSubmissions(1, 'token problems');
    const kh = toHex(keyHash(new SeedSigner(sha256(utf8('sigsum-kit test token problems'))).publicKey));
    expect(await addLeaf(leaf!.body)).toEqual({
      status: 403,
      text: `submitter key hash ${kh} is not on the rate-limit allow-list and the request has no sigsum-token header\n`,
    });
    expect(await addLeaf(leaf!.body, 'example.org xyz')).toEqual({
      status: 403,
      text: 'invalid sigsum-token header: Sigsum-Token token: expected 64 bytes (128 hex digits), got 3 characters\n',
    });
    expect(await addLeaf(leaf!.body, token('example.org', sha256(utf8('not the key'))))).toEqual({
      status: 403,
      text: 'sigsum-token for example.org is not valid: signature does not verify with any key at _sigsum_v1.example.org (1 tried, 0 malformed, 0 ignored beyond the first 10)\n',
    });
    expect(await addLeaf(leaf!.body, token('servfail.example'))).toEqual({
      status: 403,
      text: 'sigsum-token for servfail.example could not be verified: DNS look-up of _sigsum_v1.servfail.example failed: resolver answered SERVFAIL\n',
    });
    expect(await addLeaf(leaf!.body, token('unlisted.example.net'))).toEqual({
      status: 403,
      text: 'domain unlisted.example.net is not on the rate-limit allow-list and public submissions are disabled\n',
    });
  });

  it('checks the leaf signature before the rate limit (a forged leaf costs no quota and no DNS query)', async () => {
    const signer = new SeedSigner(sha256(utf8('forger')));
    const message = sha256(utf8('forged'));
    const signature = await signLeaf(signer, message);
    signature[0]! ^= 1;
    const body = `message=${toHex(message)}\nsignature=${toHex(signature)}\npublic_key=${toHex(signer.publicKey)}\n`;
    const before = dns.queries.get('_sigsum_v1.servfail.example') ?? 0;
    expect((await addLeaf(body, token('servfail.example'))).status).toBe(403);
    expect(dns.queries.get('_sigsum_v1.servfail.example') ?? 0).toBe(before);
  });

  it('exposes the expected series on the internal listener only', async () => {
    expect((await get(log.url + 'metrics')).status).toBe(404);
    const { status, text, headers } = await get(log.internalUrl + 'metrics');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toContain('text/plain');
    const addLeafStatus = (s: string) => sample(text, 'sigsum_http_responses_total', { endpoint: '/add-leaf', method: 'POST', status: s, role: 'primary' });
    expect(addLeafStatus('429')).toBe(2);
    expect(addLeafStatus('403')).toBe(6);
    const decision = (d: string, r: string) => sample(text, 'sigsum_log_rate_limit_decisions_total', { decision: d, rule: r });
    expect(decision('allowed', 'domain')).toBe(2);
    expect(decision('over_limit', 'domain')).toBe(1);
    expect(decision('allowed', 'key')).toBe(1);
    expect(decision('over_limit', 'key')).toBe(1);
    expect(decision('no_rule', 'none')).toBe(2);
    expect(decision('bad_token', 'none')).toBe(1);
    expect(decision('bad_token', 'domain')).toBe(1);
    expect(decision('dns_error', 'domain')).toBe(1);
    // Repeats of leaf a: counted as duplicates, unless they reached the storage first (then not asked at all).
    expect(decision('duplicate', 'domain') ?? 0).toBeLessThanOrEqual(3);
    // Three leaves were accepted; the sequencer gauges are read at scrape time.
    const treeSize = sample(text, 'sigsum_log_tree_size')!;
    const pending = sample(text, 'sigsum_log_pending_leaves')!;
    expect(treeSize + pending).toBe(3);
    expect(sample(text, 'sigsum_log_published_tree_size')).toBeLessThanOrEqual(treeSize);
    expect(sample(text, 'sigsum_log_published_tree_timestamp_seconds')).toBeGreaterThan(1_700_000_000);
    expect(sample(text, 'sigsum_log_published_tree_age_seconds')).toBeLessThan(60);
    expect(sample(text, 'sigsum_log_witness_quorum_reached')).toBeNaN();
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    const latencyCount = sample(text, 'sigsum_http_request_duration_seconds_count', { endpoint: '/add-leaf', method: 'POST', status: '202' });
    expect(latencyCount).toBe(addLeafStatus('202'));
    expect(latencyCount).toBeGreaterThanOrEqual(3);
    // The public listener's 404 for /metrics was recorded under the single "unmatched" endpoint.
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: 'unmatched', status: '404' })).toBe(1);
  });
});

describe('rate-limit start-up errors', () => {
  it('refuses to start with a bad rate-limit config or resolver address, naming the problem', () => {
    const t = tempDir('sigsum-ratelimit-cli-');
    try {
      const limits = join(t.dir, 'limits.conf');
      writeFileSync(limits, 'domain example.org 5\nallow example.net 5\n');
      const configPath = initLog(t.dir, { rateLimitFile: 'limits.conf' });
      const bad = runToExit(['primary', '-c', configPath]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toBe(`sigsum-log: ${limits}: line 2: unknown keyword "allow" (expected key, domain or public)\n`);
      writeFileSync(limits, 'public 5\n');
      const resolver = runToExit(['primary', '-c', configPath, '--dns-resolver', 'dns.example:53']);
      expect(resolver.status).toBe(1);
      expect(resolver.stderr).toBe('sigsum-log: resolver host "dns.example" is not an IP address\n');
      const missing = runToExit(['primary', '-c', configPath, '--rate-limit-config', join(t.dir, 'nope.conf')]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toBe(`sigsum-log: cannot read rate-limit config: ENOENT: no such file or directory, open '${join(t.dir, 'nope.conf')}'\n`);
    } finally {
      t.cleanup();
    }
  });
});
