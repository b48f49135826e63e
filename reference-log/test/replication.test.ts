/**
 * The replication protocol in-process over real HTTP on 127.0.0.1 (memory
 * storage for speed): the primary's internal endpoints and their errors, the
 * secondary's endpoint, the primary's gate against honest, mis-keyed, forked
 * and impossible secondaries, the secondary's fork detection, promotion and
 * the old-primary check, and the hot-standby config keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  SeedSigner,
  emptyRoot,
  hashLeaf,
  leafHashOf,
  leafFromBytes,
  parseLeavesBody,
  parseSignedTreeHeadBody,
  sha256,
  signTreeHead,
  toHex,
  utf8,
  verifyTreeHeadSignature,
  type CosignedTreeHead,
} from '@sigsum-kit/sdk';
import {
  CompactRange,
} from '@sigsum-kit/sdk/internal';
import { openMemoryStorage, type Storage } from '../src/storage/index.js';
import { startLog, type RunningLog } from '../src/log.js';
import { parseConfig } from '../src/cli/config.js';
import { checkNotSuperseded, promoteStorage, secondaryGate, startSecondary, type RunningSecondary } from '../src/replication/index.js';
import { FailoverError } from '../src/errors.js';
import { freePort, getText, waitFor } from './replication-helpers.js';

const TOKEN = 'test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const key = (label: string): SeedSigner => new SeedSigner(sha256(utf8(`replication unit ${label}`)));
const logKey = key('log');

/** Append `n` leaves labelled `label` to a storage directly (no signatures needed by storage). */
function fill(storage: Storage, label: string, n: number): void {
  const range = CompactRange.restore(storage.treeSize(), storage);
  const records = Array.from({ length: n }, (_, i) => {
    const leaf = new Uint8Array(128);
    leaf.set(sha256(utf8(`${label} ${storage.treeSize() + i}`)));
    return { leaf, leafHash: hashLeaf(leaf) };
  });
  const nodes = records.flatMap((r) => range.append(r.leafHash));
  storage.appendLeaves(records, nodes);
}

async function storageWith(label: string, n: number): Promise<Storage> {
  const s = await openMemoryStorage();
  fill(s, label, n);
  return s;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function primaryWith(storage: Storage, extra: Partial<Parameters<typeof startLog>[0]> = {}): Promise<RunningLog> {
  const log = await startLog({ storage, signer: logKey, intervalMs: 50, integrateIntervalMs: 5, replication: { token: TOKEN }, ...extra });
  cleanups.push(() => log.close());
  return log;
}

async function secondaryOf(primaryInternalUrl: string, storage: Storage, signer = key('secondary'), port = 0): Promise<RunningSecondary> {
  const s = await startSecondary({ storage, signer, primaryUrl: primaryInternalUrl, token: TOKEN, intervalMs: 10, port });
  cleanups.push(() => s.close());
  return s;
}

describe("primary's internal replication endpoints", () => {
  it('serve the integrated tree to a token holder, with exact errors', async () => {
    const log = await primaryWith(await storageWith('endpoints', 3), { maxRange: 2, gate: () => 0 });
    const base = log.internalUrl!;
    const root3 = toHex(CompactRange.restore(3, log.storage).root());
    const cases: [string, Record<string, string>, number, string][] = [
      ['get-tree-head-unsigned', {}, 401, 'missing or wrong bearer token\n'],
      ['get-tree-head-unsigned', { authorization: 'Bearer wrong-token' }, 401, 'missing or wrong bearer token\n'],
      ['get-tree-head-unsigned', { authorization: TOKEN }, 401, 'missing or wrong bearer token\n'],
      ['get-leaves/0/1', {}, 401, 'missing or wrong bearer token\n'],
      ['get-tree-head-unsigned', auth, 200, `size=3\nroot_hash=${root3}\n`],
      ['get-tree-head-unsigned/0', auth, 200, `size=0\nroot_hash=${toHex(emptyRoot())}\n`],
      ['get-tree-head-unsigned/3', auth, 200, `size=3\nroot_hash=${root3}\n`],
      ['get-tree-head-unsigned/4', auth, 400, 'size 4 is beyond the integrated tree (size 3)\n'],
      ['get-tree-head-unsigned/03', auth, 400, 'size: invalid decimal integer "03"\n'],
      ['get-tree-head-unsigned/99999999999999999999', auth, 400, 'size: integer exceeds 2^63-1\n'],
      ['get-leaves', auth, 400, 'get-leaves: missing path arguments\n'],
      ['get-leaves/2/1', auth, 400, 'start_index: start_index(2) must be less than end_index(1)\n'],
      ['get-leaves/x/1', auth, 400, 'start_index: invalid decimal integer "x"\n'],
      // As log-go's internal get-leaves: at the end of the tree 404 (its secondary's "up to date"), beyond it 400.
      ['get-leaves/3/9', auth, 404, 'at end of tree (size 3)\n'],
      ['get-leaves/4/9', auth, 400, 'start 4 is beyond the integrated tree (size 3)\n'],
      ['get-secondary-tree-head', auth, 404, 'unknown endpoint\n'],
    ];
    for (const [path, headers, status, text] of cases) {
      const r = await getText(base + path, headers);
      expect([path, r.status, r.text]).toEqual([path, status, text]);
    }
    // Leaves are served although nothing beyond size 0 is published (the gate allows 0), clipped to maxRange.
    expect(log.sequencer.published?.size).toBe(0);
    const r = await getText(base + 'get-leaves/0/100', auth);
    const leaves = parseLeavesBody(r.text);
    expect(leaves.map((l) => toHex(leafHashOf(l)))).toEqual(log.storage.getLeaves(0, 2).map((b) => toHex(leafHashOf(leafFromBytes(b)))));
  });

  it('answer 404 at the end of an empty tree and need no token when none is configured', async () => {
    const log = await primaryWith(await openMemoryStorage(), { replication: {} });
    expect(await getText(log.internalUrl! + 'get-leaves/0/1')).toEqual({ status: 404, text: 'at end of tree (size 0)\n' });
    expect((await getText(log.internalUrl! + 'get-tree-head-unsigned')).status).toBe(200);
  });

  it('serve only get-leaves with api "log-go", as log-go\'s primary', async () => {
    const log = await primaryWith(await openMemoryStorage(), { replication: { api: 'log-go' } });
    expect(await getText(log.internalUrl! + 'get-tree-head-unsigned')).toEqual({ status: 404, text: 'unknown endpoint\n' });
    expect(await getText(log.internalUrl! + 'get-tree-head-unsigned/0')).toEqual({ status: 404, text: 'unknown endpoint\n' });
    expect(await getText(log.internalUrl! + 'get-leaves/0/1')).toEqual({ status: 404, text: 'at end of tree (size 0)\n' });
  });
});

describe('secondary and gate', () => {
  it('replicates, signs its head with its own key, and lets the primary publish and answer 200', async () => {
    const sport = await freePort();
    const sKey = key('secondary');
    const primaryStorage = await storageWith('happy', 5);
    const g = secondaryGate({ url: `http://127.0.0.1:${sport}/`, secondaryPublicKey: sKey.publicKey, storage: primaryStorage, token: TOKEN, minIntervalMs: 0 });
    const log = await primaryWith(primaryStorage, { gate: g.gate });
    const s = await secondaryOf(log.internalUrl!, await openMemoryStorage(), sKey, sport);
    expect(s.treeSize()).toBe(5);
    expect(await waitFor(() => log.sequencer.published?.size === 5)).toBe(true);
    expect(g.replicatedSize()).toBe(5);
    expect(g.lastError()).toBeUndefined();
    expect(await getText(s.internalUrl + 'get-secondary-tree-head')).toEqual({ status: 401, text: 'missing or wrong bearer token\n' });
    expect(await getText(s.internalUrl + 'nope', auth)).toEqual({ status: 404, text: 'unknown endpoint\n' });
    const sth = parseSignedTreeHeadBody((await getText(s.internalUrl + 'get-secondary-tree-head', auth)).text);
    expect(sth.size).toBe(5n);
    expect(await verifyTreeHeadSignature(sth, sKey.publicKey)).toBe(true);
    expect(await verifyTreeHeadSignature(sth, logKey.publicKey)).toBe(false);
    const health = await getText(s.internalUrl + 'health');
    expect(health).toEqual({ status: 200, text: 'status=ok\nrole=secondary\nprimary_api=sigsum-kit\ntree_size=5\nprimary_size=5\n' });
  });

  it('rejects a secondary signed by another key, one with another root, and one ahead of the primary', async () => {
    const honest = await primaryWith(await storageWith('gate-honest', 4));
    const s = await secondaryOf(honest.internalUrl!, await openMemoryStorage());
    expect(s.treeSize()).toBe(4);

    const wrongKey = secondaryGate({ url: s.internalUrl, secondaryPublicKey: key('someone else').publicKey, storage: honest.storage, token: TOKEN });
    expect(await wrongKey.gate(4)).toBe(0);
    expect(wrongKey.lastError()).toBe('secondary tree head of size 4 is not signed by the configured secondary key');

    const forked = await storageWith('gate-fork', 6);
    const fork = secondaryGate({ url: s.internalUrl, secondaryPublicKey: key('secondary').publicKey, storage: forked, token: TOKEN });
    expect(await fork.gate(6)).toBe(0);
    expect(fork.lastError()).toMatch(/^secondary root at size 4 is [0-9a-f]{64}, ours is [0-9a-f]{64}$/);

    const behind = await storageWith('gate-honest', 2);
    const ahead = secondaryGate({ url: s.internalUrl, secondaryPublicKey: key('secondary').publicKey, storage: behind, token: TOKEN });
    expect(await ahead.gate(2)).toBe(0);
    expect(ahead.lastError()).toBe('secondary has 4 leaves but this primary only 2');

    const noToken = secondaryGate({ url: s.internalUrl, secondaryPublicKey: key('secondary').publicKey, storage: honest.storage });
    expect(await noToken.gate(4)).toBe(0);
    expect(noToken.lastError()).toBe(`${s.internalUrl}get-secondary-tree-head: HTTP 401: missing or wrong bearer token`);

    const down = secondaryGate({ url: `http://127.0.0.1:${await freePort()}/`, secondaryPublicKey: key('secondary').publicKey, storage: honest.storage });
    expect(await down.gate(4)).toBe(0);
    expect(down.lastError()).toBeDefined();
  });

  it('reports loudly when the secondary comes back with a smaller tree', async () => {
    const log = await primaryWith(await storageWith('shrink', 6));
    const sKey = key('secondary');
    const port = await freePort();
    const first = await startSecondary({ storage: await openMemoryStorage(), signer: sKey, primaryUrl: log.internalUrl!, token: TOKEN, port });
    const errors: [object, string | undefined][] = [];
    const g = secondaryGate({ url: first.internalUrl, secondaryPublicKey: sKey.publicKey, storage: log.storage, token: TOKEN, minIntervalMs: 0, logger: { info() {}, warn() {}, error: (o, m) => errors.push([o, m]) } });
    expect(await g.gate(6)).toBe(6);
    await first.close();
    // Same key and address, empty database: it has to copy everything again.
    const second = await startSecondary({ storage: await storageWith('shrink', 2), signer: sKey, primaryUrl: 'http://127.0.0.1:1/', token: TOKEN, port });
    cleanups.push(() => second.close());
    // The first poll may hit the old server's closed keep-alive connection; the gate just polls again.
    let allowed = await g.gate(6);
    for (let i = 0; i < 5 && g.lastError() !== undefined; i++) allowed = await g.gate(6);
    expect([allowed, g.lastError()]).toEqual([2, undefined]);
    expect(g.replicatedSize()).toBe(6);
    expect(errors).toEqual([[{ size: 2, previous: 6 }, 'secondary tree shrank (lost or replaced database?); earlier acknowledged leaves are not on it until it catches up']]);
  });

  it('a secondary stops on a primary that shrank or has another root at its size', async () => {
    const shrunk = await primaryWith(await storageWith('shrunk', 3));
    const s1 = await secondaryOf(shrunk.internalUrl!, await storageWith('shrunk', 5));
    expect([s1.status(), s1.lastError()]).toEqual(['fork', "primary's tree has 3 leaves, fewer than the 5 replicated here"]);

    const other = await primaryWith(await storageWith('other', 5));
    const s2 = await secondaryOf(other.internalUrl!, await storageWith('mine', 5));
    expect(s2.status()).toBe('fork');
    expect(s2.lastError()).toMatch(/^primary's root at size 5 is [0-9a-f]{64}, ours is [0-9a-f]{64}$/);
    const h = await getText(s2.internalUrl + 'health');
    expect(h.status).toBe(503);

    // Wrong token: not a fork, just unreachable; it keeps retrying.
    const s3 = await startSecondary({ storage: await openMemoryStorage(), signer: key('s3'), primaryUrl: other.internalUrl!, token: 'wrong', intervalMs: 10 });
    cleanups.push(() => s3.close());
    expect([s3.status(), s3.lastError()]).toEqual(['unreachable', `${other.internalUrl}get-tree-head-unsigned: HTTP 401: missing or wrong bearer token`]);
  });
});

describe('promotion and the old-primary check', () => {
  const headOf = async (storage: Storage, size: number, signer = logKey): Promise<CosignedTreeHead> => {
    const sth = await signTreeHead(signer, { size: BigInt(size), rootHash: CompactRange.restore(size, storage).root() });
    return { ...sth, cosignatures: [] };
  };

  it('promotes a secondary whose tree contains the published head, and refuses otherwise', async () => {
    const published = await storageWith('promote', 8);
    const head = await headOf(published, 8);

    const behind = await storageWith('promote', 6);
    await expect(promoteStorage(behind, logKey.publicKey, head)).rejects.toThrow(new FailoverError('promote.behind', 'local tree has 6 leaves but a tree head of size 8 was published'));

    const forked = await storageWith('promote-fork', 9);
    await expect(promoteStorage(forked, logKey.publicKey, head)).rejects.toThrow(/^local tree of size 8 has root [0-9a-f]{64}, the published root is [0-9a-f]{64}$/);

    const good = await storageWith('promote', 10);
    await expect(promoteStorage(good, logKey.publicKey, await headOf(good, 8, key('impostor')))).rejects.toThrow('the given tree head of size 8 is not signed by the log key');

    const other = await storageWith('promote', 10);
    other.setLogPublicKey(key('another log').publicKey);
    await expect(promoteStorage(other, logKey.publicKey, head)).rejects.toThrow(/^storage belongs to log key [0-9a-f]{64}, not [0-9a-f]{64}$/);

    expect(await promoteStorage(good, logKey.publicKey, head, () => 1234)).toEqual({ treeSize: 10, publishedSize: 8 });
    expect(good.startupMode()).toBe('local-tree');
    expect(good.latestTreeHead()?.size).toBe(8);
    // The promoted storage runs as primary, serving the old head at once and publishing its whole tree next.
    const log = await primaryWith(good);
    expect(log.sequencer.startupState).toEqual({ mode: 'local-tree', treeSize: 10, publishedSize: 8, guardSize: null });
    expect(await waitFor(() => log.sequencer.published?.size === 10)).toBe(true);
  });

  it("accepts an unsigned size and root (a witness's state): checked, but not stored as a published head", async () => {
    const published = await storageWith('unsigned', 8);
    const th = { size: 8n, rootHash: CompactRange.restore(8, published).root() };
    await expect(promoteStorage(await storageWith('unsigned', 7), logKey.publicKey, th)).rejects.toThrow('local tree has 7 leaves but a tree head of size 8 was published');
    await expect(promoteStorage(await storageWith('unsigned-fork', 8), logKey.publicKey, th)).rejects.toThrow(/^local tree of size 8 has root/);
    const good = await storageWith('unsigned', 9);
    expect(await promoteStorage(good, logKey.publicKey, th)).toEqual({ treeSize: 9, publishedSize: 8 });
    expect([good.startupMode(), good.latestTreeHead()]).toEqual(['local-tree', undefined]);
    await expect(checkNotSuperseded(good, logKey.publicKey, { size: 10n, rootHash: th.rootHash })).rejects.toThrow(/^a tree head of size 10 was published, but this node only ever published size 0/);
  });

  it('refuses to run an old primary beside a newer published head', async () => {
    const newer = await storageWith('old-primary', 7);
    const old = await storageWith('old-primary', 5);
    old.saveTreeHead({ ...(await headOf(old, 4)), size: 4, cosignatures: [], publishedAt: 0 });
    const check = (h: CosignedTreeHead): Promise<void> => checkNotSuperseded(old, logKey.publicKey, h);
    await expect(check(await headOf(newer, 6))).rejects.toThrow(
      new FailoverError(
        'startup.superseded',
        'a tree head of size 6 was published, but this node only ever published size 4: another primary has taken over; do not run this node as primary (wipe it and set it up as a new secondary)',
      ),
    );
    await expect(check(await headOf(await storageWith('other-history', 4), 4))).rejects.toThrow(/^local tree of size 4 has root [0-9a-f]{64}, the published root is [0-9a-f]{64}$/);
    await expect(check(await headOf(newer, 4, key('impostor')))).rejects.toThrow('the given tree head of size 4 is not signed by the log key');
    await expect(check(await headOf(old, 4))).resolves.toBeUndefined();
    await expect(check(await headOf(old, 3))).resolves.toBeUndefined();
  });
});

describe('hot-standby configuration keys', () => {
  const base = { keyFile: 'k' };
  it.each([
    [{ secondaryUrl: 'http://127.0.0.1:1/' }, 'secondaryUrl and secondaryPublicKey: set both or neither'],
    [{ secondaryPublicKey: 'ab'.repeat(32) }, 'secondaryUrl and secondaryPublicKey: set both or neither'],
    [{ secondaryUrl: 'ftp://x/', secondaryPublicKey: 'ab'.repeat(32) }, 'secondaryUrl: expected an http(s) URL, got "ftp://x/"'],
    [{ primaryUrl: '127.0.0.1:6966' }, 'primaryUrl: expected an http(s) URL, got "127.0.0.1:6966"'],
    [{ primaryUrl: 7 }, 'primaryUrl: expected a string, got 7'],
    [{ replicationToken: 'a b' }, 'replicationToken: must not contain white space'],
    [{ replicationIntervalMs: 0 }, 'replicationIntervalMs: expected an integer in 1..3600000, got 0'],
  ])('rejects %j', (extra, message) => {
    expect(() => parseConfig({ ...base, ...extra }, '/cfg')).toThrow(message);
  });
  it('resolves a secondary key file against the config directory and keeps hex as is', () => {
    expect(parseConfig({ ...base, secondaryUrl: 'http://127.0.0.1:1/', secondaryPublicKey: 's/log.key.pub' }, '/cfg').secondaryPublicKey).toBe('/cfg/s/log.key.pub');
    expect(parseConfig({ ...base, secondaryUrl: 'http://127.0.0.1:1/', secondaryPublicKey: 'AB'.repeat(32) }, '/cfg').secondaryPublicKey).toBe('AB'.repeat(32));
  });
});
