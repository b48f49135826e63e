import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fromBase64, keyHash, verifyCosignature } from '@sigsum-kit/sdk';
import { startWitness, type RunningWitness } from '../src/witness/server.js';
import { WitnessStateStore } from '../src/witness/state.js';
import { TestLog, addCheckpointBody, tempDir, testSigner } from './witness-fixtures.js';

const NOW = 1_750_000_000n;

async function post(url: string, body: string | Uint8Array, init: RequestInit = {}): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body: body as BodyInit, ...init });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('reference witness over HTTP', () => {
  const log = new TestLog('server-log');
  const witnessSigner = testSigner('server-witness');
  const tmp = tempDir();
  const dbPath = join(tmp.dir, 'witness.db');
  let w: RunningWitness;
  let probe: WitnessStateStore;

  beforeAll(async () => {
    w = await startWitness({ signer: witnessSigner, statePath: dbPath, logKeys: [log.publicKey], now: () => NOW, urlPrefix: '/w' });
    probe = new WitnessStateStore(dbPath);
  });
  afterAll(async () => {
    probe.close();
    await w.close();
    tmp.cleanup();
  });

  it('cosigns the first checkpoint from the empty state and stores it', async () => {
    expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/w$/);
    const r = await post(w.url, await log.body(0, 5));
    expect(r.status).toBe(200);
    const m = /^\u2014 sigsum\.org\/v1\/witness\/([0-9a-f]{64}) (\S+)\n$/.exec(r.text);
    expect(m).not.toBeNull();
    const blob = fromBase64(m![2]!, 'cosignature', 76);
    expect(new DataView(blob.buffer, blob.byteOffset + 4, 8).getBigUint64(0)).toBe(NOW);
    const sth = await log.sth(5);
    const ok = await verifyCosignature({ keyHash: keyHash(witnessSigner.publicKey), timestamp: NOW, signature: blob.subarray(12) }, witnessSigner.publicKey, sth, log.keyHash);
    expect(ok).toBe(true);
    expect(probe.get(log.origin).size).toBe(5n);
  });

  it('cosigns an extension with a consistency proof, and the same size again', async () => {
    expect((await post(w.url, await log.body(5, 12))).status).toBe(200);
    expect((await post(w.url, await log.body(12, 12))).status).toBe(200);
    expect(probe.get(log.origin).size).toBe(12n);
  });

  // Every kind of bad input: exact status and message, and the state stays at 12.
  const other = new TestLog('server-other-log');
  const cases: { name: string; body: () => Promise<string | Uint8Array>; status: number; text: string | RegExp; type?: string }[] = [
    { name: 'empty body', body: async () => '', status: 400, text: 'line 1: unexpected end of input, expected old line\n' },
    { name: 'old line misspelled', body: async () => (await log.body(12, 20)).replace('old ', 'Old '), status: 400, text: 'line 1: invalid old line "Old 12"\n' },
    { name: 'old size with leading zero', body: async () => (await log.body(12, 20)).replace('old 12', 'old 012'), status: 400, text: 'line 1 (old): invalid decimal integer "012"\n' },
    { name: 'proof line not base64', body: async () => (await log.body(12, 20)).replace(/\n[^\n]+\n/, '\n!!!!\n'), status: 400, text: /^line 2: / },
    { name: 'no final newline', body: async () => (await log.body(12, 20)).slice(0, -1), status: 400, text: /^line 11: last line is not terminated/ },
    { name: 'old size above the checkpoint size', body: async () => addCheckpointBody(21, log.proof(12, 20), log.note(await log.sth(20))), status: 400, text: 'line 1 (old): old size 21 is larger than checkpoint size 20\n' },
    { name: 'proof missing', body: async () => addCheckpointBody(12, [], log.note(await log.sth(20))), status: 400, text: 'line 2: consistency proof missing\n' },
    { name: 'invalid UTF-8', body: async () => Uint8Array.of(0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a), status: 400, text: /^line 1 \(old\): invalid decimal integer "\uFFFD"\n$/ },
    { name: 'unknown origin', body: async () => other.body(0, 3), status: 404, text: `unknown origin "${other.origin}"\n` },
    {
      name: 'log signature by another key, right name',
      body: async () => {
        const sth = await other.sth(20);
        return addCheckpointBody(12, log.proof(12, 20), log.note({ ...(await log.sth(20)), signature: sth.signature }));
      },
      status: 403,
      text: 'checkpoint: invalid checkpoint signature\n',
    },
    {
      name: 'wrong key ID',
      body: async () => {
        const good = await log.body(12, 20);
        const line = good.slice(good.lastIndexOf('\u2014'));
        const blob = fromBase64(line.split(' ')[2]!.trim(), 'sig', 68);
        blob[0] = blob[0]! ^ 1;
        return good.replace(line, `\u2014 ${log.origin} ${Buffer.from(blob).toString('base64')}\n`);
      },
      status: 403,
      text: /^checkpoint: unexpected checkpoint key id [0-9a-f]{8}, expected [0-9a-f]{8}\n$/,
    },
    { name: 'old size behind the witness', body: async () => log.body(5, 20), status: 409, text: '12\n', type: 'text/x.tlog.size' },
    { name: 'old size ahead of the witness', body: async () => log.body(15, 20), status: 409, text: '12\n', type: 'text/x.tlog.size' },
    {
      name: 'bad consistency proof',
      body: async () => {
        const p = log.proof(12, 20);
        p[0] = new Uint8Array(32);
        return addCheckpointBody(12, p, log.note(await log.sth(20)));
      },
      status: 422,
      text: /^(oldRoot|newRoot): path does not lead to the (old|new) root hash\n$/,
    },
    { name: 'proof with one hash too many', body: async () => addCheckpointBody(12, [...log.proof(12, 20), new Uint8Array(32)], log.note(await log.sth(20))), status: 422, text: /^path: path has \d+ hashes, expected \d+/ },
    { name: 'same size, other root', body: async () => addCheckpointBody(12, [], log.note(await log.sth(13)).replace(/\n13\n/, '\n12\n')), status: 403, text: 'checkpoint: invalid checkpoint signature\n' },
    {
      // Same key, different leaves: a split view of size 12.
      name: 'a fork at the stored size',
      body: async () => {
        const fork = new TestLog('server-log', ' (fork)');
        return addCheckpointBody(12, [], fork.note(await fork.sth(12)));
      },
      status: 422,
      text: 'newRoot: trees of equal size have different roots\n',
    },
    {
      name: 'a fork extending the stored size',
      body: async () => {
        const fork = new TestLog('server-log', ' (fork)');
        const sth = await fork.sth(20);
        return addCheckpointBody(12, fork.proof(12, 20), fork.note(sth));
      },
      status: 422,
      text: 'oldRoot: path does not lead to the old root hash\n',
    },
    { name: 'body larger than the limit', body: async () => 'old 0\n' + 'A'.repeat(20_000), status: 413, text: 'request body larger than 16384 bytes\n' },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with ${c.status} and keeps the state`, async () => {
      const r = await post(w.url, await c.body(), { headers: { 'content-type': 'text/plain' } });
      expect(r.status).toBe(c.status);
      if (typeof c.text === 'string') expect(r.text).toBe(c.text);
      else expect(r.text).toMatch(c.text);
      expect(r.type).toContain(c.type ?? 'text/plain');
      expect(probe.get(log.origin).size).toBe(12n);
    });
  }

  it('answers 405 to other methods and 404 to other paths, in plain text', async () => {
    const g = await fetch(`${w.url}/add-checkpoint`);
    expect(g.status).toBe(405);
    expect(g.headers.get('allow')).toBe('POST');
    expect(await g.text()).toBe('method not allowed: use POST\n');
    const n = await fetch(`${w.url}/get-tree-head`);
    expect(n.status).toBe(404);
    expect(await n.text()).toBe('not found: GET /w/get-tree-head\n');
    const unprefixed = await fetch(w.url.replace(/\/w$/, '/add-checkpoint'), { method: 'POST', body: await log.body(12, 20) });
    expect(unprefixed.status).toBe(404);
    expect(probe.get(log.origin).size).toBe(12n);
  });

  it('accepts a body without a content type', async () => {
    const body = new TextEncoder().encode(await log.body(12, 14));
    // A Uint8Array body makes fetch send no Content-Type at all.
    const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(probe.get(log.origin).size).toBe(14n);
  });

  it('lets exactly one of two racing requests from the same old size win', async () => {
    const a = await log.body(14, 30);
    const b = await log.body(14, 31);
    const [ra, rb] = await Promise.all([post(w.url, a), post(w.url, b)]);
    expect([ra.status, rb.status].sort()).toEqual([200, 409]);
    const loser = ra.status === 409 ? ra : rb;
    const winnerSize = ra.status === 200 ? 30n : 31n;
    expect(loser.type).toBe('text/x.tlog.size');
    expect(loser.text).toBe(`${winnerSize}\n`);
    expect(probe.get(log.origin).size).toBe(winnerSize);
  });

  it('keeps its state across a restart', async () => {
    const size = probe.get(log.origin).size;
    await w.close();
    w = await startWitness({ signer: witnessSigner, statePath: dbPath, logKeys: [log.publicKey], now: () => NOW, urlPrefix: '/w' });
    const r = await post(w.url, await log.body(0, 40));
    expect(r.status).toBe(409);
    expect(r.text).toBe(`${size}\n`);
    expect((await post(w.url, await log.body(Number(size), 40))).status).toBe(200);
  });
});
