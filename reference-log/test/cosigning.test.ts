import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { keyHash, parsePolicy, toHex, verifyCosignature, type Policy } from '@sigsum-kit/sdk';
import { createCosigner, type CosignerMetrics } from '../src/cosigning/index.js';
import { startWitness, type RunningWitness } from '../src/witness/server.js';
import { TestLog, tempDir, testSigner } from './witness-fixtures.js';

const log = new TestLog('cosign-log');
const keyA = testSigner('cosign-witness-a');
const keyB = testSigner('cosign-witness-b');
const tmp = tempDir('sigsum-cosign-');
const hex = (k: { publicKey: Uint8Array }) => toHex(k.publicKey);
afterAll(() => tmp.cleanup());

function policy(urlA: string, urlB: string, quorum: 'all' | 'any'): Policy {
  return parsePolicy(
    [`log ${toHex(log.publicKey)}`, `witness A ${hex(keyA)} ${urlA}`, `witness B ${hex(keyB)} ${urlB}`, `group both ${quorum} A B`, 'quorum both', ''].join('\n'),
  );
}

function recorder(): CosignerMetrics & { requests: { url: string; status: number | 'other'; retried: boolean }[]; rounds: boolean[] } {
  const requests: { url: string; status: number | 'other'; retried: boolean }[] = [];
  const rounds: boolean[] = [];
  return {
    requests,
    rounds,
    observeWitnessRequest: (url, status, retried) => requests.push({ url, status, retried }),
    observeQuorum: (reached) => rounds.push(reached),
  };
}

async function start(key: typeof keyA, db: string, port = 0): Promise<RunningWitness> {
  return startWitness({ signer: key, statePath: join(tmp.dir, db), logKeys: [log.publicKey], port });
}

function portOf(w: RunningWitness): number {
  return Number(new URL(w.url).port);
}

describe('cosigning fan-out against two reference witnesses', () => {
  let a: RunningWitness;
  let b: RunningWitness;
  beforeAll(async () => {
    a = await start(keyA, 'a.db');
    b = await start(keyB, 'b.db');
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });
  const proof = (o: number, n: number) => log.proof(o, n);

  it('collects 2 of 2 verified cosignatures and meets the quorum', async () => {
    const m = recorder();
    const c = createCosigner({ policy: policy(a.url, b.url, 'all'), logPublicKey: log.publicKey, logKeyHash: log.keyHash, consistencyProof: proof, timeoutMs: 5000, metricsHook: m });
    const sth = await log.sth(5);
    const r = await c.cosign(sth);
    expect(r.failures).toEqual([]);
    expect(r.quorumMet).toBe(true);
    expect(r.cosignatures.map((x) => toHex(x.keyHash))).toEqual([toHex(keyHash(keyA.publicKey)), toHex(keyHash(keyB.publicKey))]);
    expect(await verifyCosignature(r.cosignatures[0]!, keyA.publicKey, sth, log.keyHash)).toBe(true);
    expect(await verifyCosignature(r.cosignatures[1]!, keyB.publicKey, sth, log.keyHash)).toBe(true);
    // Next round starts from the remembered size: a consistency proof, no 409.
    const r2 = await c.cosign(await log.sth(9));
    expect(r2.quorumMet).toBe(true);
    expect(m.requests.map((q) => [q.status, q.retried])).toEqual([[200, false], [200, false], [200, false], [200, false]]);
    expect(m.rounds).toEqual([true, true]);
    expect([...c.knownSizes().values()]).toEqual([9n, 9n]);
  });

  it('learns the sizes of witnesses it has never talked to through one 409 each', async () => {
    const m = recorder();
    const c = createCosigner({ policy: policy(a.url, b.url, 'all'), logPublicKey: log.publicKey, consistencyProof: proof, timeoutMs: 5000, metricsHook: m });
    const r = await c.cosign(await log.sth(12));
    expect(r.quorumMet).toBe(true);
    expect(m.requests.map((q) => [q.status, q.retried])).toEqual([[200, true], [200, true]]);
  });

  it('with one witness down: 1 of 2 meets an any-quorum, not an all-quorum, and says why', async () => {
    const bPort = portOf(b);
    await b.close();
    try {
      const all = createCosigner({ policy: policy(a.url, b.url, 'all'), logPublicKey: log.publicKey, consistencyProof: proof, timeoutMs: 3000 });
      const any = createCosigner({ policy: policy(a.url, b.url, 'any'), logPublicKey: log.publicKey, consistencyProof: proof, timeoutMs: 3000 });
      const r1 = await all.cosign(await log.sth(14));
      expect(r1.cosignatures.length).toBe(1);
      expect(r1.quorumMet).toBe(false);
      expect(r1.failures).toHaveLength(1);
      expect(r1.failures[0]!.witness).toBe('B');
      // ECONNREFUSED, or a pooled keep-alive socket found closed: either way no response.
      expect(r1.failures[0]!.reason).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/add-checkpoint: fetch failed: /);
      const r2 = await any.cosign(await log.sth(15));
      expect(r2.quorumMet).toBe(true);
      expect(r2.cosignatures.map((x) => toHex(x.keyHash))).toEqual([toHex(keyHash(keyA.publicKey))]);
      expect(r2.failures.map((f) => f.witness)).toEqual(['B']);
    } finally {
      b = await start(keyB, 'b.db', bPort);
    }
  });

  it('recovers with a 409 dance when a witness restarts with fresh state or was advanced by someone else', async () => {
    const m = recorder();
    const c = createCosigner({ policy: policy(a.url, b.url, 'all'), logPublicKey: log.publicKey, consistencyProof: proof, timeoutMs: 5000, metricsHook: m });
    expect((await c.cosign(await log.sth(16))).quorumMet).toBe(true);
    // B loses its state (new database, same port); A is pushed ahead by another cosigner.
    const bPort = portOf(b);
    await b.close();
    b = await start(keyB, 'b-fresh.db', bPort);
    const other = createCosigner({ policy: policy(a.url, b.url, 'any'), logPublicKey: log.publicKey, consistencyProof: proof, timeoutMs: 5000 });
    await other.cosign(await log.sth(20));
    m.requests.length = 0;
    const r = await c.cosign(await log.sth(22));
    expect(r.failures).toEqual([]);
    expect(r.quorumMet).toBe(true);
    expect(m.requests.map((q) => [q.status, q.retried])).toEqual([[200, true], [200, true]]);
    expect([...c.knownSizes().values()]).toEqual([22n, 22n]);
  });

  it('reports a witness whose answer is not signed by the key the policy names', async () => {
    // The policy's URL for B serves a witness holding A's key: its cosignature does not count for B.
    const impostor = await start(keyA, 'impostor.db');
    try {
      const c = createCosigner({ policy: policy(a.url, impostor.url, 'all'), logPublicKey: log.publicKey, consistencyProof: proof, timeoutMs: 5000 });
      const r = await c.cosign(await log.sth(23));
      expect(r.cosignatures.map((x) => toHex(x.keyHash))).toEqual([toHex(keyHash(keyA.publicKey))]);
      expect(r.quorumMet).toBe(false);
      expect(r.failures).toEqual([{ witness: 'B', reason: `${impostor.url}: response has no cosignature by the witness key` }]);
    } finally {
      await impostor.close();
    }
  });
});

describe('cosigning edge cases', () => {
  let a: RunningWitness;
  beforeAll(async () => {
    a = await start(keyA, 'a-edge.db');
  });
  afterAll(async () => {
    await a.close();
  });

  it('asks only witnesses with a URL, and never rejects when the log cannot produce a proof', async () => {
    const p = parsePolicy([`log ${toHex(log.publicKey)}`, `witness A ${hex(keyA)} ${a.url}`, `witness B ${hex(keyB)}`, 'group g any A B', 'quorum g', ''].join('\n'));
    const warnings: object[] = [];
    let proofCalls = 0;
    const c = createCosigner({
      policy: p,
      logSigner: log.signer,
      consistencyProof: () => {
        proofCalls++;
        throw new Error('tree not available');
      },
      timeoutMs: 3000,
      logger: { info: () => undefined, warn: (o) => warnings.push(o), error: () => undefined },
    });
    // First round from the empty witness needs no proof.
    expect(await c.cosign(await log.sth(4))).toMatchObject({ quorumMet: true, failures: [] });
    const r = await c.cosign(await log.sth(6));
    expect(proofCalls).toBe(1);
    expect(r).toEqual({ cosignatures: [], quorumMet: false, failures: [{ witness: 'A', reason: 'tree not available' }] });
    expect(warnings).toEqual([
      { witness: 'A', size: '6', reason: 'tree not available' },
      { size: '6', cosignatures: 0, failures: 1 },
    ]);
  });

  it('refuses a log key hash that does not match the log key', () => {
    expect(() => createCosigner({ policy: policy(a.url, a.url, 'any'), logPublicKey: log.publicKey, logKeyHash: new Uint8Array(32), consistencyProof: () => [], timeoutMs: 1000 })).toThrow(
      'createCosigner: logKeyHash does not match the log public key',
    );
    expect(() => createCosigner({ policy: policy(a.url, a.url, 'any'), consistencyProof: () => [], timeoutMs: 1000 })).toThrow('createCosigner needs logPublicKey or logSigner');
  });
});

describe('cosigning time bound', () => {
  let silent: Server;
  let url: string;
  let a: RunningWitness;
  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    a = await start(keyA, 'a-timeout.db');
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
    await a.close();
  });

  it('returns within the timeout with the slow witness as a failure', async () => {
    const c = createCosigner({ policy: policy(a.url, url, 'any'), logPublicKey: log.publicKey, consistencyProof: (o, n) => log.proof(o, n), timeoutMs: 400 });
    const t0 = performance.now();
    const r = await c.cosign(await log.sth(3));
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(2000);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(r.quorumMet).toBe(true);
    expect(r.failures).toEqual([{ witness: 'B', reason: 'no cosignature within 400 ms' }]);
  });
});
