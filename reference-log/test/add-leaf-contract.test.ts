/**
 * The add-leaf contract as clients rely on it (sigsum-go's submit, log-go's
 * semantics): a 200 means the tree head that get-tree-head serves right now
 * covers the leaf, so get-tree-head followed by the leaf's inclusion proof
 * at that size succeeds at once — for every size, including 1 (where the
 * client builds the empty proof itself) and 2. Real processes on 127.0.0.1,
 * from an empty log: a primary alone, and a primary with a secondary and a
 * witness.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseOpenSshPublicKey,
  parsePolicy,
  keyHash,
  toHex,
  verifyCosignedTreeHead,
  verifyInclusion,
  type CosignedTreeHead,
} from '@sigsum-kit/sdk';
import { pool } from './log-helpers.js';
import { LeafFactory, freePort, initNode, patchConfig, scratchSpace, startNode, startWitnessNode, type TestLeaf } from './replication-helpers.js';

/** What a submitter saw right after its 200. */
interface Outcome {
  size: bigint;
  error?: string;
}

/**
 * Re-send add-leaf until 200, then at once fetch the tree head and the
 * inclusion proof (locally for size 1, as sigsum-go does) and verify both.
 */
async function submitAndProve(url: string, leaf: TestLeaf, checkHead: (h: CosignedTreeHead) => Promise<void>): Promise<Outcome> {
  for (let tries = 0; ; tries++) {
    const r = await fetch(url + 'add-leaf', { method: 'POST', body: leaf.body });
    await r.arrayBuffer();
    if (r.status === 200) break;
    if (r.status !== 202) return { size: -1n, error: `add-leaf answered ${r.status}` };
    if (tries > 400) return { size: -1n, error: 'no 200 within 400 tries' };
    await new Promise((res) => setTimeout(res, 20));
  }
  const th = await fetch(url + 'get-tree-head');
  const head = parseCosignedTreeHeadBody(await th.text());
  try {
    await checkHead(head);
    let index = 0n;
    let path: readonly Uint8Array[] = [];
    if (head.size !== 1n) {
      const p = await fetch(`${url}get-inclusion-proof/${head.size}/${leaf.hex}`);
      const text = await p.text();
      if (p.status !== 200) return { size: head.size, error: `get-inclusion-proof/${head.size} answered ${p.status}: ${text.trim()}` };
      ({ leafIndex: index, path } = parseInclusionProofBody(text));
    }
    verifyInclusion(leaf.leafHash, index, head.size, path, head.rootHash);
  } catch (e) {
    return { size: head.size, error: `size ${head.size}: ${(e as Error).message}` };
  }
  return { size: head.size };
}

/** Sizes 1 and 2 one submitter at a time, then 30 submitters at once. */
async function exercise(url: string, label: string, checkHead: (h: CosignedTreeHead) => Promise<void>): Promise<Outcome[]> {
  const factory = new LeafFactory(label);
  const first = await submitAndProve(url, await factory.next(), checkHead);
  const second = await submitAndProve(url, await factory.next(), checkHead);
  const leaves: TestLeaf[] = [];
  for (let i = 0; i < 30; i++) leaves.push(await factory.next());
  const rest = await pool(leaves, 30, (leaf) => submitAndProve(url, leaf, checkHead));
  return [first, second, ...rest];
}

function expectAllProven(outcomes: Outcome[]): void {
  expect(outcomes.filter((o) => o.error !== undefined).map((o) => o.error)).toEqual([]);
  expect(outcomes[0]!.size).toBe(1n);
  expect(outcomes[1]!.size).toBe(2n);
  for (const o of outcomes) expect(o.size).toBeGreaterThanOrEqual(1n);
}

describe('add-leaf 200 means covered by the served tree head', () => {
  const { tmp, running } = scratchSpace('sigsum-add-leaf-contract-');

  it('a primary alone, from an empty log (sizes 1 and 2 included)', async () => {
    const dir = join(tmp.dir, 'alone');
    const config = initNode(dir, { listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', intervalMs: 150, integrateIntervalMs: 5 });
    const node = await startNode(['primary', '-c', config], 'log started');
    running.push(node);
    const started = node.lines().find((l) => l.msg === 'log started') as { url: string };
    const outcomes = await exercise(started.url, 'contract-alone', () => Promise.resolve());
    expectAllProven(outcomes);
  }, 60_000);

  it('a primary with a secondary and a witness, and add-leaf waiting for publication', async () => {
    const pdir = join(tmp.dir, 'p');
    const sdir = join(tmp.dir, 's');
    const wdir = join(tmp.dir, 'w');
    mkdirSync(wdir, { recursive: true });
    const [pub, internal, sport] = [await freePort(), await freePort(), await freePort()];
    const pconfig = initNode(pdir, {});
    const logKey = parseOpenSshPublicKey(readFileSync(join(pdir, 'log.key.pub'), 'utf8').trim()).publicKey;
    const w = await startWitnessNode(wdir, 'W', toHex(logKey));
    running.push(w.node);
    const policyText = `log ${toHex(logKey)}\nwitness W ${toHex(w.publicKey)} ${w.url}\nquorum W\n`;
    writeFileSync(join(pdir, 'policy'), policyText);
    const policy = parsePolicy(policyText);
    const sconfig = initNode(sdir, { internalListen: `127.0.0.1:${sport}`, primaryUrl: `http://127.0.0.1:${internal}/`, replicationIntervalMs: 20 }, join(pdir, 'log.key.pub'));
    patchConfig(pconfig, {
      listen: `127.0.0.1:${pub}`,
      internalListen: `127.0.0.1:${internal}`,
      intervalMs: 150,
      integrateIntervalMs: 5,
      // Some requests wait for the head, some time out into 202: both must keep the contract.
      addLeafWaitMs: 120,
      policyFile: join(pdir, 'policy'),
      secondaryUrl: `http://127.0.0.1:${sport}/`,
      secondaryPublicKey: join(sdir, 'log.key.pub'),
    });
    running.push(await startNode(['primary', '-c', pconfig], 'log started'));
    running.push(await startNode(['secondary', '-c', sconfig], 'secondary started'));
    const checkHead = async (h: CosignedTreeHead): Promise<void> => {
      const v = await verifyCosignedTreeHead(policy, toHex(keyHash(logKey)), h);
      if (!v.ok) throw new Error(`tree head not accepted by the policy: ${v.message}`);
    };
    const outcomes = await exercise(`http://127.0.0.1:${pub}/`, 'contract-replicated', checkHead);
    expectAllProven(outcomes);
  }, 60_000);
});
