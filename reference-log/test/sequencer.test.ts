/**
 * The sequencer in-process on real (sql.js) storage: 202 → 200 transitions,
 * deduplication, batching, quorum handling, the replication gate, back-pressure
 * and the start-up checks that refuse rollback or forked state.
 */
import { describe, expect, it } from 'vitest';
import {
  SeedSigner,
  keyHash,
  sha256,
  toHex,
  utf8,
  verifyConsistency,
  hashLeaf,
  verifyTreeHeadSignature,
  type SignedTreeHead,
} from '@sigsum-kit/sdk';
import { treeRoot } from '@sigsum-kit/sdk/internal';
import { RECENT_LEAVES, Sequencer, StartupError, openMemoryStorage, type CosignOutcome, type Cosigner, type LeafRecord } from '@sigsum-kit/reference-log';

const signer = new SeedSigner(sha256(utf8('sequencer test log')));

function rec(i: number): LeafRecord {
  const leaf = new Uint8Array(128).fill(i & 255);
  new DataView(leaf.buffer).setUint32(0, i);
  // A real leaf hash: served leaves and the start-up check re-hash the leaf.
  return { leaf, leafHash: hashLeaf(leaf) };
}

/** A cosigner whose answer the test controls; records what it was asked. */
class ScriptedCosigner implements Cosigner {
  asked: SignedTreeHead[] = [];
  constructor(public answer: CosignOutcome) {}
  cosign(head: SignedTreeHead): Promise<CosignOutcome> {
    this.asked.push(head);
    return Promise.resolve(this.answer);
  }
}

const logs: { level: string; obj: object; msg?: string }[] = [];
const logger = {
  info: (obj: object, msg?: string) => logs.push({ level: 'info', obj, msg }),
  warn: (obj: object, msg?: string) => logs.push({ level: 'warn', obj, msg }),
  error: (obj: object, msg?: string) => logs.push({ level: 'error', obj, msg }),
};

describe('sequencer', () => {
  it('knows pending and the newest integrated leaves without storage; older ones are looked up', async () => {
    const storage = await openMemoryStorage();
    const seq = new Sequencer({ storage, signer, logger, batchSize: 100_000 });
    const n = RECENT_LEAVES + 2;
    expect(seq.knownLeafState(rec(0).leafHash)).toBeUndefined();
    for (let i = 0; i < n; i++) seq.submit(rec(i), 'absent');
    expect(seq.knownLeafState(rec(0).leafHash)).toBe('pending');
    expect(seq.integrateNow()).toBe(n);
    // The two oldest fell out of memory; storage still knows them.
    for (const i of [0, 1]) {
      expect(seq.knownLeafState(rec(i).leafHash)).toBeUndefined();
      expect(seq.leafState(rec(i).leafHash)).toBe('integrated');
    }
    expect(seq.knownLeafState(rec(2).leafHash)).toBe('integrated');
    expect(seq.knownLeafState(rec(n - 1).leafHash)).toBe('integrated');
    await seq.publishNow();
    expect(seq.knownLeafState(rec(n - 1).leafHash)).toBe('published');
    expect(seq.leafState(rec(0).leafHash)).toBe('published');
    expect(seq.knownLeafState(rec(n).leafHash)).toBeUndefined();
    expect(seq.leafState(rec(n).leafHash)).toBe('absent');
    await seq.stop();
  });

  it('answers 202 until a leaf is integrated, then 200; deduplicates by leaf hash', async () => {
    const storage = await openMemoryStorage();
    const seq = new Sequencer({ storage, signer, logger });
    expect(seq.submit(rec(1))).toBe('accepted');
    expect(seq.submit(rec(1))).toBe('accepted');
    expect(seq.pendingCount).toBe(1);
    expect(seq.integrateNow()).toBe(1);
    await seq.publishNow();
    expect(seq.submit(rec(1))).toBe('published');
    expect(storage.treeSize()).toBe(1);
    expect(seq.published?.size).toBe(1);
    expect(seq.consistencyProof(1, 1)).toEqual([]);
    await seq.stop();
  });

  it('tells where many leaves stand at once, as it does one at a time', async () => {
    const storage = await openMemoryStorage();
    const seq = new Sequencer({ storage, signer, logger });
    for (const i of [1, 2]) seq.submit(rec(i));
    seq.integrateNow();
    await seq.publishNow();
    seq.submit(rec(3));
    seq.integrateNow();
    seq.submit(rec(4));
    const hashes = [rec(4), rec(1), rec(5), rec(3), rec(2), rec(1)].map((r) => r.leafHash);
    const expected = ['pending', 'published', 'absent', 'integrated', 'published', 'published'];
    expect(seq.leafStates(hashes)).toEqual(expected);
    expect(hashes.map((h) => seq.leafState(h))).toEqual(expected);
    expect(seq.leafStates([rec(3).leafHash])).toEqual(['integrated']);
    expect(seq.leafStates([])).toEqual([]);
    await seq.stop();
  });

  it('publishes only when the quorum holds and keeps the previous head otherwise', async () => {
    const storage = await openMemoryStorage();
    const cos = { keyHash: keyHash(new Uint8Array(32).fill(3)), timestamp: 5n, signature: new Uint8Array(64).fill(4) };
    const cosigner = new ScriptedCosigner({ cosignatures: [cos], quorumMet: true, failures: [] });
    const seq = new Sequencer({ storage, signer, cosigner, logger });
    await seq.start();
    expect(seq.published?.size).toBe(0);
    expect(seq.published?.cosignatures).toEqual([cos]);

    cosigner.answer = { cosignatures: [], quorumMet: false, failures: [{ witness: 'w1', reason: 'timeout' }] };
    seq.submit(rec(1));
    seq.submit(rec(2));
    await seq.publishNow();
    expect(seq.published?.size).toBe(0);
    expect(storage.latestTreeHead()?.size).toBe(0);
    const warn = logs.find((l) => l.msg === 'witness quorum not met; keeping the previous tree head');
    expect(warn?.obj).toMatchObject({ size: 2, failures: ['w1: timeout'] });

    cosigner.answer = { cosignatures: [cos], quorumMet: true, failures: [] };
    await seq.publishNow();
    expect(seq.published?.size).toBe(2);
    // What the witnesses were asked to cosign is a correctly signed head of the stored tree.
    const last = cosigner.asked[cosigner.asked.length - 1]!;
    expect(last.size).toBe(2n);
    expect(toHex(last.rootHash)).toBe(toHex(treeRoot(2, storage)));
    expect(await verifyTreeHeadSignature(last, signer.publicKey)).toBe(true);
    await seq.stop();
  });

  it('answers 202 for integrated leaves above the replication gate', async () => {
    const storage = await openMemoryStorage();
    let replicated = 0;
    const seq = new Sequencer({ storage, signer, gate: () => replicated, logger });
    await seq.start();
    seq.submit(rec(1));
    seq.submit(rec(2));
    await seq.publishNow();
    expect(storage.treeSize()).toBe(2);
    expect(seq.submit(rec(1))).toBe('accepted');
    expect(seq.published?.size).toBe(0);
    replicated = 1;
    await seq.publishNow();
    expect(seq.published?.size).toBe(1);
    expect(seq.submit(rec(1))).toBe('published');
    expect(seq.submit(rec(2))).toBe('accepted');
    await seq.stop();
  });

  it('answers 202 for a durable leaf until a published head covers it; add-leaf may wait for that publication', async () => {
    const storage = await openMemoryStorage();
    let replicated = Infinity;
    const seq = new Sequencer({ storage, signer, intervalMs: 60_000, integrateIntervalMs: 5, gate: (n) => Math.min(n, replicated), logger });
    await seq.start();
    expect(seq.submit(rec(1))).toBe('accepted');
    expect(seq.integrateNow()).toBe(1);
    // Durable, but get-tree-head still serves the empty head: not 200 yet.
    expect(storage.leafIndex(rec(1).leafHash)).toBe(0);
    expect(seq.submit(rec(1))).toBe('accepted');
    expect(seq.leafState(rec(1).leafHash)).toBe('integrated');
    const waiting = seq.waitPublished(rec(1).leafHash, 5000);
    await seq.publishNow();
    expect(await waiting).toBe(true);
    expect(seq.published?.size).toBe(1);
    expect(seq.submit(rec(1))).toBe('published');
    expect(await seq.waitPublished(rec(1).leafHash, 100)).toBe(true);
    // Above the replication gate the head cannot cover the leaf: the wait times out.
    replicated = 1;
    expect(seq.submit(rec(2))).toBe('accepted');
    seq.integrateNow();
    await seq.publishNow();
    expect(await seq.waitPublished(rec(2).leafHash, 100)).toBe(false);
    expect(storage.leafIndex(rec(2).leafHash)).toBe(1);
    expect(seq.submit(rec(2))).toBe('accepted');
    const pending = seq.waitPublished(rec(2).leafHash, 5000);
    await seq.stop();
    expect(await pending).toBe(false);
    expect(await seq.waitPublished(rec(3).leafHash, 100)).toBe(false);
  });

  it('refuses new leaves beyond maxPending with busy', async () => {
    const storage = await openMemoryStorage();
    const seq = new Sequencer({ storage, signer, maxPending: 2, logger });
    expect(seq.submit(rec(1))).toBe('accepted');
    expect(seq.submit(rec(2))).toBe('accepted');
    expect(seq.submit(rec(3))).toBe('busy');
    expect(seq.submit(rec(1))).toBe('accepted');
    await seq.stop();
    expect(storage.treeSize()).toBe(2); // stop() drains what was accepted
  });

  it('integrates in batches of at most batchSize, oldest first', async () => {
    const storage = await openMemoryStorage();
    const seq = new Sequencer({ storage, signer, batchSize: 3, logger });
    for (let i = 0; i < 7; i++) seq.submit(rec(i));
    expect(seq.integrateNow()).toBe(3);
    expect(seq.integrateNow()).toBe(3);
    expect(seq.integrateNow()).toBe(1);
    expect(seq.integrateNow()).toBe(0);
    for (let i = 0; i < 7; i++) expect(storage.leafIndex(rec(i).leafHash)).toBe(i);
    const p = seq.consistencyProof(3, 7);
    verifyConsistency(3n, 7n, treeRoot(3, storage), treeRoot(7, storage), p);
    await seq.stop();
  });

  it('keeps leaves pending when storage fails, and logs why', async () => {
    const storage = await openMemoryStorage();
    const seq = new Sequencer({ storage, signer, logger });
    seq.submit(rec(1));
    storage.close();
    expect(seq.integrateNow()).toBe(0);
    expect(seq.pendingCount).toBe(1);
    expect(logs.some((l) => l.msg === 'integrating leaves failed' && JSON.stringify(l.obj).includes('storage is closed'))).toBe(true);
  });
});

describe('start-up checks', () => {
  async function storageWithHead(headSize: number, rootHash?: Uint8Array) {
    const storage = await openMemoryStorage();
    const seq = new Sequencer({ storage, signer });
    seq.submit(rec(1));
    seq.submit(rec(2));
    seq.integrateNow();
    storage.saveTreeHead({ size: headSize, rootHash: rootHash ?? treeRoot(Math.min(headSize, 2), storage), signature: new Uint8Array(64), cosignatures: [], publishedAt: 0 });
    return storage;
  }

  it('accepts a stored tree that extends the published head', async () => {
    const storage = await storageWithHead(1);
    const seq = new Sequencer({ storage, signer });
    expect(seq.startupState).toEqual({ mode: 'saved', treeSize: 2, publishedSize: 1, guardSize: null });
    expect(seq.published?.size).toBe(1);
  });

  it('refuses a stored tree smaller than the published head', async () => {
    const storage = await storageWithHead(5);
    expect(() => new Sequencer({ storage, signer })).toThrow(new StartupError('startup.rollback', 'stored tree has 2 leaves but tree head of size 5 was published'));
  });

  it('refuses a stored tree inconsistent with the published head', async () => {
    const storage = await storageWithHead(2, new Uint8Array(32));
    expect(() => new Sequencer({ storage, signer })).toThrow(/^stored tree of size 2 has root [0-9a-f]{64}, published root is 0{64}$/);
  });

  it('refuses mode "saved" without a stored head, and starts "local-tree" without one', async () => {
    const storage = await openMemoryStorage();
    storage.setStartupMode('saved');
    expect(() => new Sequencer({ storage, signer })).toThrow('start-up mode "saved" but no published tree head is stored');
    storage.setStartupMode('local-tree');
    const seq = new Sequencer({ storage, signer });
    await seq.start();
    expect(seq.published?.size).toBe(0);
    expect(storage.startupMode()).toBe('saved');
    await seq.stop();
  });
});
