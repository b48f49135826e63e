import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SeedSigner,
  SubmitError,
  VerificationError,
  makeAddLeafRequest,
  parsePolicy,
  parseProof,
  serializeProof,
  sha256,
  submitLeafRequests,
  submitMessage,
  submitMessages,
  submitTokenHeader,
  toHex,
  utf8,
  verifyProof,
  verifyToken,
  parseTokenHeader,
  type SubmitEvent,
  type SubmitProgress,
  type Policy,
} from '@sigsum-kit/sdk';
import { openMemoryStorage, startLog, type RunningLog } from '@sigsum-kit/reference-log';

// Real processes on a shared 2-core machine: allow for slow starts under load.
vi.setConfig({ testTimeout: 120_000 });

let log: RunningLog;
let logSigner: SeedSigner;
let policy: Policy;
let deadUrl: string;
let deadServer: Server;
const submitter = SeedSigner.generate();
const fast = { pollDelayMs: 50, timeoutMs: 20_000 };

beforeAll(async () => {
  logSigner = SeedSigner.generate();
  const storage = await openMemoryStorage();
  storage.setLogPublicKey(logSigner.publicKey);
  log = await startLog({ storage, signer: logSigner, intervalMs: 100, internalPort: null });
  policy = parsePolicy(`log ${toHex(logSigner.publicKey)} ${log.url}\nquorum none\n`);
  // A "log" that always fails with 500, to show that submit moves on to the next log.
  deadServer = createServer((_q, res) => {
    res.statusCode = 500;
    res.end('broken log');
  });
  await new Promise<void>((r) => deadServer.listen(0, '127.0.0.1', r));
  deadUrl = `http://127.0.0.1:${(deadServer.address() as AddressInfo).port}/`;
}, 120_000);
afterAll(async () => {
  await log?.close();
  deadServer?.close();
});

describe('submit against the reference log', () => {
  it('submits one message and returns a proof that verifies and round-trips', async () => {
    const data = utf8('hello sigsum');
    const proof = await submitMessage(submitter, sha256(data), { policy, ...fast });
    expect(proof.version).toBe(2);
    const v = await verifyProof(proof, { data, submitterKeys: [submitter.publicKey], policy });
    expect(v.ok).toBe(true);
    const again = parseProof(serializeProof(proof));
    expect((await verifyProof(again, { data, submitterKeys: [submitter.publicKey], policy })).ok).toBe(true);
    // The same proof does not verify other data.
    expect((await verifyProof(proof, { data: utf8('hello sigsuM'), submitterKeys: [submitter.publicKey], policy })).ok).toBe(false);
  });

  it('submits a batch concurrently, reporting progress and each proof as it comes', async () => {
    const messages = Array.from({ length: 40 }, (_, i) => sha256(utf8(`batch message ${i}`)));
    const progress: SubmitProgress[] = [];
    const seen = new Set<number>();
    const proofs = await submitMessages(submitter, messages, {
      policy,
      ...fast,
      concurrency: 8,
      onProgress: (p) => progress.push(p),
      onProof: (i) => {
        seen.add(i);
      },
    });
    expect(proofs).toHaveLength(40);
    expect(seen.size).toBe(40);
    expect(progress.at(-1)).toEqual({ total: 40, accepted: 40, done: 40, failed: 0 });
    for (let i = 0; i < 40; i++) {
      const v = await verifyProof(proofs[i]!, { message: messages[i]!, submitterKeys: [submitter.publicKey], policy });
      expect(v.ok).toBe(true);
    }
    // Distinct leaves: the proofs name distinct indices.
    expect(new Set(proofs.map((p) => p.inclusion.leafIndex)).size).toBe(40);
  });

  it('tries the next log when one fails', async () => {
    const two = parsePolicy(`log ${toHex(SeedSigner.generate().publicKey)} ${deadUrl}\nlog ${toHex(logSigner.publicKey)} ${log.url}\nquorum none\n`);
    const diag: string[] = [];
    // random() = 0.99 keeps the policy order, so the dead log is tried first.
    const proof = await submitMessage(submitter, sha256(utf8('failover')), { policy: two, ...fast, random: () => 0.99, log: (m) => diag.push(m) });
    expect(toHex(proof.logKeyHash)).toBe(toHex(sha256(logSigner.publicKey)));
    expect(diag.some((m) => m.includes(`add-leaf to ${deadUrl} failed`) && m.includes('HTTP 500: broken log'))).toBe(true);
  });

  it('reports each stage of a request as an event, in order, naming the log', async () => {
    const two = parsePolicy(`log ${toHex(SeedSigner.generate().publicKey)} ${deadUrl}\nlog ${toHex(logSigner.publicKey)} ${log.url}\nquorum none\n`);
    const events: SubmitEvent[] = [];
    // random() = 0.99 keeps the policy order, so the dead log is tried first.
    const proof = await submitMessage(submitter, sha256(utf8('stages')), { policy: two, ...fast, random: () => 0.99, onEvent: (e) => events.push(e) });
    const perRequest = events.filter((e) => e.type !== 'tree-head').map((e) => e.type);
    // Signed, refused by the dead log, taken by the live one; then looked for in tree heads until found and verified.
    expect(perRequest.slice(0, 2)).toEqual(['signed', 'add-leaf-failed']);
    expect(['accepted', 'sequenced']).toContain(perRequest[2]);
    expect(perRequest.slice(-2)).toEqual(['inclusion-proof', 'verified']);
    expect(events[1]).toEqual({ type: 'add-leaf-failed', request: 0, log: deadUrl, status: 500, message: `${deadUrl}add-leaf: HTTP 500: broken log` });
    expect(events.filter((e) => e.type === 'inclusion-proof').at(-1)).toEqual({ type: 'inclusion-proof', request: 0, log: log.url, size: proof.treeHead.size, found: true });
    expect(events.at(-1)).toEqual({ type: 'verified', request: 0, log: log.url, leafIndex: proof.inclusion.leafIndex, size: proof.treeHead.size });
    const heads = events.filter((e) => e.type === 'tree-head');
    expect(heads.length).toBeGreaterThan(0);
    expect(heads.every((e) => e.log === log.url && e.accepted && e.cosignatures === 0)).toBe(true);
    expect(heads.at(-1)!.size).toBe(proof.treeHead.size);
  });

  it('fails with every log named when all logs fail', async () => {
    const dead = parsePolicy(`log ${toHex(SeedSigner.generate().publicKey)} ${deadUrl}\nquorum none\n`);
    const err = (await submitMessage(submitter, sha256(utf8('x')), { policy: dead, ...fast }).catch((e: unknown) => e)) as SubmitError;
    expect(err).toBeInstanceOf(SubmitError);
    expect(err.code).toBe('submit.failed');
    expect(err.message).toBe(`1 of 1 submissions failed; first (request 0): request 0: all logs failed: ${deadUrl}add-leaf: HTTP 500: broken log`);
    expect([...err.failures.keys()]).toEqual([0]);
  });

  it('keeps polling while the quorum is not met, then times out', async () => {
    const witness = SeedSigner.generate();
    const strict = parsePolicy(`log ${toHex(logSigner.publicKey)} ${log.url}\nwitness w ${toHex(witness.publicKey)}\nquorum w\n`);
    const diag: string[] = [];
    const err = (await submitMessage(submitter, sha256(utf8('needs a witness')), { policy: strict, pollDelayMs: 50, timeoutMs: 1500, log: (m) => diag.push(m) }).catch(
      (e: unknown) => e,
    )) as SubmitError;
    expect(err.code).toBe('submit.failed');
    expect(err.failures.get(0)).toMatchObject({ code: 'submit.timeout', message: 'submission timed out' });
    expect(diag.some((m) => m.includes(`from ${log.url} not accepted: not enough cosignatures`))).toBe(true);
  });

  it('refuses a request whose signature does not verify, before sending anything', async () => {
    const req = await makeAddLeafRequest(submitter, sha256(utf8('a')));
    const bad = { ...req, message: sha256(utf8('b')) };
    const err = await submitLeafRequests([req, bad], { policy, ...fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect(err).toMatchObject({ code: 'add-leaf.signature', message: 'request 1: signature: leaf signature does not verify' });
  });

  it('needs a log with a URL', async () => {
    const noUrl = parsePolicy(`log ${toHex(logSigner.publicKey)}\nquorum none\n`);
    await expect(submitMessage(submitter, sha256(utf8('x')), { policy: noUrl })).rejects.toMatchObject({ code: 'submit.no-logs', message: 'policy: the policy names no log with a URL' });
  });

  it('stops when the caller aborts', async () => {
    const witness = SeedSigner.generate();
    const strict = parsePolicy(`log ${toHex(logSigner.publicKey)} ${log.url}\nwitness w ${toHex(witness.publicKey)}\nquorum w\n`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user gave up')), 300);
    const err = (await submitMessage(submitter, sha256(utf8('aborted')), { policy: strict, pollDelayMs: 50, signal: ac.signal }).catch((e: unknown) => e)) as SubmitError;
    expect(err.failures.get(0)).toMatchObject({ message: 'user gave up' });
  });

  it('sends the sigsum-token header made for each log', async () => {
    const rateKey = SeedSigner.generate();
    const headers: (string | undefined)[] = [];
    const recorder = createServer((q, res) => {
      headers.push(q.headers['sigsum-token'] as string | undefined);
      res.statusCode = 429;
      res.end('rate limit exceeded');
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    try {
      const logKey = SeedSigner.generate().publicKey;
      const p = parsePolicy(`log ${toHex(logKey)} http://127.0.0.1:${(recorder.address() as AddressInfo).port}/\nquorum none\n`);
      const err = (await submitMessage(submitter, sha256(utf8('t')), { policy: p, ...fast, token: { signer: rateKey, domain: 'example.org' } }).catch((e: unknown) => e)) as SubmitError;
      expect(err.message).toContain('HTTP 429: rate limit exceeded');
      expect(headers).toHaveLength(1); // 429 is not retried
      const h = parseTokenHeader(headers[0]!);
      expect(h.domain).toBe('example.org');
      expect(await verifyToken(rateKey.publicKey, logKey, h.token)).toBe(true);
    } finally {
      recorder.close();
    }
  });

  it('makes submit tokens that verify for the log key', async () => {
    const rateKey = SeedSigner.generate();
    const header = await submitTokenHeader({ signer: rateKey, domain: 'example.org' }, logSigner.publicKey);
    const h = parseTokenHeader(header);
    expect(h.domain).toBe('example.org');
    expect(await verifyToken(rateKey.publicKey, logSigner.publicKey, h.token)).toBe(true);
    expect(await verifyToken(rateKey.publicKey, submitter.publicKey, h.token)).toBe(false);
  });
});
