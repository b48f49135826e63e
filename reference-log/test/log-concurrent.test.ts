/**
 * Concurrent submission against the real `sigsum-log` process with SQLite:
 * every leaf gets 200 and a proof that verifies against the published head.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseOpenSshPublicKey,
  toHex,
  verifyInclusion,
  verifyTreeHeadSignature,
} from '@sigsum-kit/sdk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, initLog, makeSubmissions, pool, startLogProcess, submitUntilSequenced, tempDir, type LogProcess } from './log-helpers.js';

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
