/**
 * Concurrent submission against the real `sigsum-log` process with SQLite:
 * every leaf gets 200 and a proof that verifies against the published head.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseOpenSshPublicKey,
  keyHash,
  toHex,
  verifyInclusion,
  verifyTreeHeadSignature,
} from '@sigsum-kit/sdk';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { parsePolicy, verifyCosignedTreeHead } from '@sigsum-kit/sdk';
import { CLI, get, initLog, makeSubmissions, pool, startLogProcess, submitUntilSequenced, tempDir, type LogProcess } from './log-helpers.js';

const keyHashHex = (k: Uint8Array): string => toHex(keyHash(k));

/** Start a reference witness (`sigsum-log witness`) for one log key; resolves with its URL. */
function startWitness(dir: string, name: string, logKeyHex: string): Promise<{ url: string; proc: ChildProcess; publicKey: Uint8Array }> {
  return generateKeyFiles(join(dir, `${name}.key`)).then(
    (key) =>
      new Promise((resolve, reject) => {
        const proc = spawn(process.execPath, [CLI, 'witness', '-k', key.privateKeyPath, '--state-db', join(dir, `${name}.sqlite`), '--log-key', logKeyHex, '--listen', '127.0.0.1:0'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        const timer = setTimeout(() => reject(new Error(`witness did not start: ${out}`)), 15_000);
        const onData = (b: Buffer): void => {
          out += b.toString();
          const m = /witness listening on (\S+) /.exec(out);
          if (m !== null) {
            clearTimeout(timer);
            resolve({ url: m[1]!, proc, publicKey: key.publicKey });
          }
        };
        proc.stdout!.on('data', onData);
        proc.stderr!.on('data', onData);
      }),
  );
}

describe('log under concurrent submission', () => {
  const tmp = tempDir();
  let log: LogProcess;
  let publicKey: Uint8Array;

  beforeAll(async () => {
    const config = initLog(tmp.dir, { intervalMs: 200 });
    publicKey = parseOpenSshPublicKey(readFileSync(join(tmp.dir, 'log.key.pub'), 'utf8').trim()).publicKey;
    log = await startLogProcess(config);
  });
  afterAll(async () => {
    await log?.stop();
    tmp.cleanup();
  });

  it('acknowledges 1000 concurrent leaves with 200 and proves each against the published head', async () => {
    const subs = await makeSubmissions(1000, 'concurrent');
    await pool(subs, 64, (s) => submitUntilSequenced(log.url, s.body));

    // A 200 promises inclusion in the next published head: wait for it.
    let head = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
    for (let i = 0; i < 50 && head.size < 1000n; i++) {
      await new Promise((r) => setTimeout(r, 100));
      head = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
    }
    expect(head.size).toBe(1000n);
    expect(await verifyTreeHeadSignature(head, publicKey)).toBe(true);

    const indices = new Set<bigint>();
    await pool(subs, 16, async (s) => {
      const r = await get(`${log.url}get-inclusion-proof/${head.size}/${toHex(s.leafHash)}`);
      expect(r.status).toBe(200);
      const proof = parseInclusionProofBody(r.text);
      verifyInclusion(s.leafHash, proof.leafIndex, head.size, proof.path, head.rootHash);
      indices.add(proof.leafIndex);
    });
    expect(indices.size).toBe(1000);

    // Re-submitting a sequenced leaf is deduplicated: 200 at once, tree does not grow.
    const again = await fetch(log.url + 'add-leaf', { method: 'POST', body: subs[0]!.body });
    expect(again.status).toBe(200);
    const health = await get(log.internalUrl + 'health');
    expect(health.text).toContain('tree_size=1000\n');
  });
});

describe('log with a 2-of-2 witness policy', () => {
  const tmp = tempDir('sigsum-log-witnessed-');
  let log: LogProcess;
  let publicKey: Uint8Array;
  const witnesses: { url: string; proc: ChildProcess; publicKey: Uint8Array }[] = [];
  let policyText: string;

  beforeAll(async () => {
    const config = initLog(tmp.dir, { intervalMs: 250, witnessTimeoutMs: 5000 });
    publicKey = parseOpenSshPublicKey(readFileSync(join(tmp.dir, 'log.key.pub'), 'utf8').trim()).publicKey;
    for (const name of ['w1', 'w2']) witnesses.push(await startWitness(tmp.dir, name, toHex(publicKey)));
    policyText =
      `log ${toHex(publicKey)}\n` +
      `witness w1 ${toHex(witnesses[0]!.publicKey)} ${witnesses[0]!.url}\n` +
      `witness w2 ${toHex(witnesses[1]!.publicKey)} ${witnesses[1]!.url}\n` +
      `group both all w1 w2\n` +
      `quorum both\n`;
    writeFileSync(join(tmp.dir, 'policy'), policyText);
    const c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...c, policyFile: 'policy' }));
    log = await startLogProcess(config);
  });
  afterAll(async () => {
    await log?.stop();
    for (const w of witnesses) w.proc.kill('SIGTERM');
    tmp.cleanup();
  });

  it('publishes only cosigned heads that satisfy the policy, with 1000 leaves all proven', async () => {
    const subs = await makeSubmissions(1000, 'witnessed');
    await pool(subs, 64, (s) => submitUntilSequenced(log.url, s.body));
    let head = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
    for (let i = 0; i < 100 && head.size < 1000n; i++) {
      await new Promise((r) => setTimeout(r, 100));
      head = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
    }
    expect(head.size).toBe(1000n);
    expect(head.cosignatures.length).toBe(2);
    const verdict = await verifyCosignedTreeHead(parsePolicy(policyText), keyHashHex(publicKey), head);
    expect(verdict.ok).toBe(true);
    await pool(subs, 16, async (s) => {
      const r = await get(`${log.url}get-inclusion-proof/${head.size}/${toHex(s.leafHash)}`);
      const proof = parseInclusionProofBody(r.text);
      verifyInclusion(s.leafHash, proof.leafIndex, head.size, proof.path, head.rootHash);
    });
  });
});
