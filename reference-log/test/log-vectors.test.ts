/**
 * Vector replay: a log with the deterministic key `keyfile-0` (keys.json) is
 * fed the valid leaves of leaves.json in order, over HTTP, by the real
 * `sigsum-log` process. What the vectors pin byte for byte is compared
 * exactly: get-leaves lines and body, leaf hashes (through inclusion look-ups),
 * the tree-head signature (Ed25519 is deterministic), and proof bodies against
 * proofs computed independently from the vectors' leaf hashes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MemoryTree,
  fromHex,
  parseOpenSshPrivateKey,
  publicKeyFromSeed,
  rootFromLeafHashes,
  serializeConsistencyProof,
  serializeCosignedTreeHead,
  serializeInclusionProof,
  signTreeHead,
  SeedSigner,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import { openSqliteStorage } from '@sigsum-kit/reference-log';
import { get, startLogProcess, submitUntilSequenced, tempDir, type LogProcess } from './log-helpers.js';

interface LeafCase {
  name: string;
  leaf_hash: string;
  get_leaves_line: string;
  add_leaf_request: string;
  add_leaf_verify_error?: string;
}

describe('vector replay through the log', () => {
  const tmp = tempDir('sigsum-log-vectors-');
  let log: LogProcess;
  let cases: LeafCase[];
  let invalid: LeafCase[];
  let getLeavesBody: string;
  let seed: Uint8Array;

  beforeAll(async () => {
    const keys = await loadSigsumVectors('keys');
    const leaves = await loadSigsumVectors('leaves');
    cases = leaves.cases as LeafCase[];
    invalid = leaves.invalid as LeafCase[];
    getLeavesBody = leaves.get_leaves_body as string;
    const keyfile = keys.keys.find((k) => k.name === 'keyfile-0')!;
    seed = parseOpenSshPrivateKey(keyfile.openssh_private_key).seed;
    mkdirSync(join(tmp.dir, 'data'));
    writeFileSync(join(tmp.dir, 'log.key'), keyfile.openssh_private_key, { mode: 0o600 });
    // What `sigsum-log init` does, for the vectors' key: only init creates a database.
    const db = openSqliteStorage(join(tmp.dir, 'data', 'log.sqlite'), { create: true });
    db.setLogPublicKey(publicKeyFromSeed(seed));
    db.setStartupMode('empty');
    db.close();
    writeFileSync(
      join(tmp.dir, 'config.json'),
      JSON.stringify({ keyFile: 'log.key', listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', intervalMs: 100, logLevel: 'info' }),
    );
    log = await startLogProcess(join(tmp.dir, 'config.json'));
    // Strictly in order: each leaf is sequenced before the next is sent.
    for (const c of cases) await submitUntilSequenced(log.url, c.add_leaf_request, 20);
    for (let i = 0; i < 100; i++) {
      if ((await get(log.url + 'get-tree-head')).text.startsWith(`size=${cases.length}\n`)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await log?.stop();
    tmp.cleanup();
  });

  it('serves get-leaves lines and body exactly as the vectors', async () => {
    const r = await get(`${log.url}get-leaves/0/${cases.length}`);
    expect(r.status).toBe(200);
    expect(r.text).toBe(getLeavesBody);
    for (let i = 0; i < cases.length; i++) {
      expect((await get(`${log.url}get-leaves/${i}/${i + 1}`)).text).toBe(cases[i]!.get_leaves_line);
    }
  });

  it('signs the tree head deterministically over the vectors\' root', async () => {
    const rootHash = rootFromLeafHashes(cases.map((c) => fromHex(c.leaf_hash)));
    const sth = await signTreeHead(new SeedSigner(seed), { size: BigInt(cases.length), rootHash });
    const r = await get(log.url + 'get-tree-head');
    expect(r.text).toBe(serializeCosignedTreeHead({ ...sth, cosignatures: [] }));
  });

  it('serves every inclusion and consistency proof equal to those computed from the vector leaf hashes', async () => {
    const tree = MemoryTree.fromLeafHashes(cases.map((c) => fromHex(c.leaf_hash)));
    for (let size = 2; size <= cases.length; size++) {
      for (let i = 0; i < size; i++) {
        const r = await get(`${log.url}get-inclusion-proof/${size}/${cases[i]!.leaf_hash}`);
        expect(r.text).toBe(serializeInclusionProof({ leafIndex: BigInt(i), path: tree.inclusionProof(i, size) }));
      }
      // A leaf beyond the requested size is not in that tree.
      if (size < cases.length) {
        const r = await get(`${log.url}get-inclusion-proof/${size}/${cases[size]!.leaf_hash}`);
        expect(r.status).toBe(404);
      }
    }
    for (let n = 2; n <= cases.length; n++) {
      for (let m = 1; m < n; m++) {
        const r = await get(`${log.url}get-consistency-proof/${m}/${n}`);
        expect(r.text).toBe(serializeConsistencyProof({ path: tree.consistencyProof(m, n) }));
      }
    }
  });

  it('answers the invalid leaf vectors with Go\'s add-leaf verdicts (403 for a bad signature)', async () => {
    for (const c of invalid) {
      const r = await fetch(log.url + 'add-leaf', { method: 'POST', body: c.add_leaf_request });
      const text = await r.text();
      if (c.add_leaf_verify_error === 'invalid signature') {
        expect(r.status, c.name).toBe(403);
        expect(text).toBe('signature: leaf signature does not verify\n');
      } else {
        expect([200, 202], c.name).toContain(r.status);
      }
    }
  });
});
