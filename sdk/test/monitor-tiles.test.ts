/**
 * `Monitor` / `sigsum monitor --tiles`: following the reference log (in
 * process, real HTTP) through tlog-tiles only gives the same events as
 * following its v1 API; a tile server that lies about one entry bundle, or
 * serves a validly signed checkpoint of another tree, raises the same alarms.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedSigner, formatCosignedCheckpoint, parsePolicy, sha256, signTreeHead, submitMessages, toHex, utf8, type Policy } from '@sigsum-kit/sdk';
import { Monitor, type MonitorEvent } from '@sigsum-kit/sdk/node';
import { openMemoryStorage, startLog, type RunningLog } from '@sigsum-kit/reference-log';

vi.setConfig({ testTimeout: 120_000 });

const watched = SeedSigner.generate();
const other = SeedSigner.generate();

function collect() {
  const events: MonitorEvent[] = [];
  return { events, onEvent: (e: MonitorEvent) => events.push(e) };
}

describe('the monitor through tiles', () => {
  let dir: string;
  let log: RunningLog;
  let signer: SeedSigner;
  let policy: Policy;
  let proxy: Server;
  let proxyUrl: string;
  let lie: (path: string, body: Buffer) => Buffer = (_p, b) => b;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigsum-monitor-tiles-'));
    signer = SeedSigner.generate();
    const storage = await openMemoryStorage();
    log = await startLog({ storage, signer, intervalMs: 100, internalPort: null });
    policy = parsePolicy(`log ${toHex(signer.publicKey)} ${log.url}\nquorum none\n`);
    const opts = { policy, pollDelayMs: 50, timeoutMs: 20_000 };
    await submitMessages(watched, [1, 2, 3].map((i) => sha256(utf8(`mine ${i}`))), opts);
    await submitMessages(other, [1, 2].map((i) => sha256(utf8(`theirs ${i}`))), opts);
    // A tile server in front of the log that can be told to lie.
    proxy = createServer((req, res) => {
      const path = (req.url ?? '/').slice(1);
      void fetch(log.url + path).then(async (r) => {
        const body = Buffer.from(await r.arrayBuffer());
        res.writeHead(r.status).end(r.status === 200 ? lie(path, body) : body);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((r) => proxy.close(() => r()));
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the same events as through the v1 API', async () => {
    const v1 = collect();
    await new Monitor({ policy, submitKeys: [watched.publicKey], onEvent: v1.onEvent }).runOnce();
    const tiles = collect();
    await new Monitor({ policy, submitKeys: [watched.publicKey], onEvent: tiles.onEvent, tilesUrl: proxyUrl }).runOnce();
    expect(tiles.events.filter((e) => e.type === 'leaf')).toHaveLength(3);
    expect(tiles.events).toEqual(v1.events);
  });

  it('raises leaves-mismatch for one flipped byte in an entry bundle, and reports no leaf', async () => {
    lie = (path, body) => {
      if (!path.startsWith('tile/entries/')) return body;
      const b = Buffer.from(body);
      b[2 + 130 + 5]! ^= 1;
      return b;
    };
    try {
      const c = collect();
      await new Monitor({ policy, submitKeys: [watched.publicKey], onEvent: c.onEvent, tilesUrl: proxyUrl }).runOnce();
      const alerts = c.events.filter((e) => e.type === 'alert');
      expect(alerts.map((a) => (a as { alert: string }).alert)).toEqual(['leaves-mismatch']);
      expect((alerts[0] as { message: string }).message).toBe(
        'entry bundles for 0..5 do not hash to the tree head: tile/entries/000.p/5: entry 1 does not hash to the leaf hash in the partial level-0 tile',
      );
      expect(c.events.filter((e) => e.type === 'leaf')).toEqual([]);
    } finally {
      lie = (_p, b) => b;
    }
  });

  it('raises inconsistent-tree-head for a validly signed checkpoint of another tree of the same size', async () => {
    const stateFile = join(dir, 'tiles.state');
    await new Monitor({ policy, submitKeys: [watched.publicKey], onEvent: () => undefined, tilesUrl: proxyUrl, stateFile }).runOnce();
    const forged = await signTreeHead(signer, { size: 5n, rootHash: sha256(utf8('another tree')) });
    const note = formatCosignedCheckpoint({ ...forged, cosignatures: [] }, signer.publicKey).note;
    lie = (path, body) => (path === 'checkpoint' ? Buffer.from(note) : body);
    try {
      const c = collect();
      await new Monitor({ policy, submitKeys: [watched.publicKey], onEvent: c.onEvent, tilesUrl: proxyUrl, stateFile }).runOnce();
      const alerts = c.events.filter((e) => e.type === 'alert') as { alert: string; message: string }[];
      expect(alerts.map((a) => a.alert)).toEqual(['inconsistent-tree-head']);
      expect(alerts[0]!.message).toContain('two roots for size 5');
    } finally {
      lie = (_p, b) => b;
    }
  });
});
