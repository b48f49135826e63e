/**
 * Crash safety: SIGKILL the real log process at random moments under load,
 * ten times, restarting it each time on the same SQLite file. Afterwards
 * every leaf that got a 200 is in the tree, every tree head seen before a
 * kill is consistent with the final one, and no restart served a smaller head.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  SeedSigner,
  checksumOf,
  keyHash,
  leafHashOf,
  parseConsistencyProofBody,
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  serializeAddLeafRequest,
  sha256,
  signLeaf,
  toHex,
  utf8,
  verifyConsistency,
  verifyInclusion,
  type CosignedTreeHead,
} from '@sigsum-kit/sdk';
import { get, initLog, pool, startLogProcess, tempDir } from './log-helpers.js';

const ROUNDS = 10;

describe('crash safety', () => {
  const tmp = tempDir('sigsum-log-crash-');
  afterAll(() => tmp.cleanup());

  it('keeps every acknowledged leaf and never rolls back across ten SIGKILLs', async () => {
    const config = initLog(tmp.dir, { intervalMs: 100, integrateIntervalMs: 5 });
    const signer = new SeedSigner(sha256(utf8('crash test submitter')));
    const kh = keyHash(signer.publicKey);
    const acknowledged = new Map<string, Uint8Array>(); // hex leaf hash → leaf hash
    const heads: CosignedTreeHead[] = [];
    let counter = 0;
    let maxSeen = 0n;
    const unexpected: string[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const log = await startLogProcess(config);
      const first = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
      // No rollback: a restarted log serves at least what was served before.
      expect(first.size >= maxSeen, `round ${round}: served ${first.size} after ${maxSeen}`).toBe(true);
      let alive = true;
      const worker = async (): Promise<void> => {
        while (alive) {
          const message = sha256(utf8(`crash leaf ${counter++}`));
          const signature = await signLeaf(signer, message);
          const body = serializeAddLeafRequest({ message, signature, publicKey: signer.publicKey });
          const leafHash = leafHashOf({ checksum: checksumOf(message), signature, keyHash: kh });
          try {
            for (;;) {
              const r = await fetch(log.url + 'add-leaf', { method: 'POST', body });
              await r.arrayBuffer();
              if (r.status === 200) {
                acknowledged.set(toHex(leafHash), leafHash);
                break;
              }
              if (r.status !== 202) {
                unexpected.push(`add-leaf answered ${r.status}`);
                return;
              }
              await new Promise((res) => setTimeout(res, 10));
            }
          } catch {
            return; // the process was killed mid-request
          }
        }
      };
      const watcher = async (): Promise<void> => {
        while (alive) {
          try {
            const th = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
            heads.push(th);
            if (th.size > maxSeen) maxSeen = th.size;
          } catch {
            return;
          }
          await new Promise((res) => setTimeout(res, 30));
        }
      };
      const load = Promise.all([...Array.from({ length: 16 }, worker), watcher()]);
      // A 200 needs a published head (every 100 ms): let each round see a few before the kill, even on a loaded machine.
      const before = acknowledged.size;
      const killAt = Date.now() + 300 + Math.floor(Math.random() * 500);
      while (Date.now() < killAt || (acknowledged.size - before < 8 && Date.now() < killAt + 10_000)) await new Promise((res) => setTimeout(res, 20));
      const exit = await log.stop('SIGKILL');
      alive = false;
      expect(exit.signal).toBe('SIGKILL');
      await load;
    }
    expect(unexpected).toEqual([]);

    // Final start: wait until every acknowledged leaf is covered by the published head.
    const log = await startLogProcess(config);
    try {
      let final = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
      const health = await get(log.internalUrl + 'health');
      const treeSize = BigInt(/tree_size=(\d+)/.exec(health.text)![1]!);
      for (let i = 0; i < 100 && final.size < treeSize; i++) {
        await new Promise((res) => setTimeout(res, 50));
        final = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
      }
      expect(acknowledged.size).toBeGreaterThan(50);
      expect(final.size >= maxSeen).toBe(true);

      await pool([...acknowledged.values()], 16, async (leafHash) => {
        const r = await get(`${log.url}get-inclusion-proof/${final.size}/${toHex(leafHash)}`);
        expect(r.status, `acknowledged leaf ${toHex(leafHash)} missing`).toBe(200);
        const p = parseInclusionProofBody(r.text);
        verifyInclusion(leafHash, p.leafIndex, final.size, p.path, final.rootHash);
      });

      // Every head seen before a kill is consistent with the final one.
      const distinct = new Map<string, CosignedTreeHead>();
      for (const h of heads) {
        const prev = distinct.get(String(h.size));
        if (prev !== undefined) expect(toHex(prev.rootHash)).toBe(toHex(h.rootHash));
        distinct.set(String(h.size), h);
      }
      await pool([...distinct.values()], 8, async (h) => {
        if (h.size === 0n || h.size === final.size) {
          if (h.size === final.size) expect(toHex(h.rootHash)).toBe(toHex(final.rootHash));
          return;
        }
        const r = await get(`${log.url}get-consistency-proof/${h.size}/${final.size}`);
        expect(r.status).toBe(200);
        verifyConsistency(h.size, final.size, h.rootHash, final.rootHash, parseConsistencyProofBody(r.text).path);
      });
    } finally {
      await log.stop();
    }
  }, 90_000);
});
