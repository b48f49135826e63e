// End to end: the real `sigsum-log primary` process with a policy naming two
// reference witnesses on 127.0.0.1; its published tree heads must carry both
// cosignatures and verify under the policy, and the witnesses' stored state
// must follow the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyHash, parseCosignedTreeHeadBody, parseOpenSshPublicKey, parsePolicy, toHex, verifyCosignedTreeHead, type CosignedTreeHead } from '@sigsum-kit/sdk';
import { startWitness, type RunningWitness } from '../src/witness/server.js';
import { WitnessStateStore } from '../src/witness/state.js';
import { initLog, makeSubmissions, startLogProcess, submitUntilSequenced, type LogProcess } from './log-helpers.js';
import { tempDir, testSigner } from './witness-fixtures.js';

describe('log + two reference witnesses', () => {
  const tmp = tempDir('sigsum-cosign-e2e-');
  const keyA = testSigner('e2e-a');
  const keyB = testSigner('e2e-b');
  let a: RunningWitness;
  let b: RunningWitness;
  let log: LogProcess;
  let logKey: Uint8Array;
  let policyText: string;

  beforeAll(async () => {
    const configPath = initLog(tmp.dir, { intervalMs: 200, witnessTimeoutMs: 3000 });
    logKey = parseOpenSshPublicKey(readFileSync(join(tmp.dir, 'log.key.pub'), 'utf8').trim()).publicKey;
    a = await startWitness({ signer: keyA, statePath: join(tmp.dir, 'a.db'), logKeys: [logKey] });
    b = await startWitness({ signer: keyB, statePath: join(tmp.dir, 'b.db'), logKeys: [logKey] });
    policyText = [`log ${toHex(logKey)}`, `witness A ${toHex(keyA.publicKey)} ${a.url}`, `witness B ${toHex(keyB.publicKey)} ${b.url}`, 'group both all A B', 'quorum both', ''].join('\n');
    const policyPath = join(tmp.dir, 'policy');
    writeFileSync(policyPath, policyText);
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, policyFile: policyPath }, null, 2));
    log = await startLogProcess(configPath);
  });
  afterAll(async () => {
    await log?.stop();
    await a?.close();
    await b?.close();
    tmp.cleanup();
  });

  it('publishes tree heads cosigned by both witnesses', async () => {
    for (const s of await makeSubmissions(3, 'cosign-e2e')) await submitUntilSequenced(log.url, s.body);
    let head: CosignedTreeHead | undefined;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const r = await fetch(`${log.url}get-tree-head`);
      head = parseCosignedTreeHeadBody(await r.text());
      if (head.size >= 3n && head.cosignatures.length === 2) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(head!.size).toBeGreaterThanOrEqual(3n);
    expect(head!.cosignatures.map((c) => toHex(c.keyHash)).sort()).toEqual([toHex(keyHash(keyA.publicKey)), toHex(keyHash(keyB.publicKey))].sort());
    const v = await verifyCosignedTreeHead(parsePolicy(policyText), keyHash(logKey), head!);
    expect(v.ok).toBe(true);
    // Each witness stored a size at least as large as the published one.
    for (const db of ['a.db', 'b.db']) {
      const store = new WitnessStateStore(join(tmp.dir, db));
      try {
        expect(store.get(`sigsum.org/v1/tree/${toHex(keyHash(logKey))}`).size).toBeGreaterThanOrEqual(head!.size);
      } finally {
        store.close();
      }
    }
  });
});
