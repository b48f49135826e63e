/**
 * tlog-tiles with real processes: the log serves checkpoint, tiles and entry
 * bundles beside the v1 API; the SDK's tiles client reads them and gets the
 * same proofs and leaves as the v1 API, byte for byte; `sigsum-log tiles`
 * exports the same bytes, nginx serves the export with the log stopped; a
 * lying tile server is caught; readers racing publication and export never
 * see an inconsistent state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { chmodSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  SeedSigner,
  TilesClient,
  formatCosignedCheckpoint,
  fromHex,
  leafFromBytes,
  parseConsistencyProofBody,
  parseCosignedCheckpoint,
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseLeavesBody,
  parseOpenSshPrivateKey,
  parsePolicy,
  serializeLeaves,
  sha256,
  signTreeHead,
  toHex,
  utf8,
  type SigsumError,
} from '@sigsum-kit/sdk';
import { CLI, filesUnder, get, initLog, makeSubmissions, pool, runOnTty, runToExit, startLogProcess, submitUntilSequenced, tempDir, type LogProcess } from './log-helpers.js';
import { startNginx, type NginxProcess } from './nginx-helpers.js';

const N = 300;

/** Raw GET (no automatic decompression), for encoding and cache headers. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function errorOf(p: Promise<unknown>): Promise<SigsumError> {
  try {
    await p;
  } catch (e) {
    return e as SigsumError;
  }
  throw new Error('expected an error');
}

describe('tlog-tiles from the log, its export and nginx', () => {
  const tmp = tempDir('sigsum-tiles-');
  let log: LogProcess;
  let nginx: NginxProcess | undefined;
  let configPath: string;
  let logKey: SeedSigner;
  let policyText: string;
  const exportDir = join(tmp.dir, 'export');
  // What the v1 API served, for comparisons once the log is stopped.
  const v1 = { inclusion: new Map<string, string[]>(), consistency: new Map<string, string[]>(), leaves: '' };

  beforeAll(async () => {
    // nginx's worker may run as another user: the export must be reachable for it.
    chmodSync(tmp.dir, 0o755);
    configPath = initLog(tmp.dir, { intervalMs: 100 });
    logKey = new SeedSigner(parseOpenSshPrivateKey(readFileSync(join(tmp.dir, 'log.key'), 'utf8')).seed);
    policyText = `log ${toHex(logKey.publicKey)}\nquorum none\n`;
    log = await startLogProcess(configPath);
    const subs = await makeSubmissions(N, 'tiles');
    await pool(subs, 64, (s) => submitUntilSequenced(log.url, s.body, 20));
    for (let i = 0; i < 200; i++) {
      if ((await get(log.url + 'get-tree-head')).text.startsWith(`size=${N}\n`)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 120_000);
  afterAll(async () => {
    await nginx?.stop();
    await log?.stop();
    tmp.cleanup();
  });

  const client = (url: string) => new TilesClient({ url, policy: parsePolicy(policyText), retries: 0 });

  it('serves a checkpoint byte-consistent with get-tree-head', async () => {
    const th = parseCosignedTreeHeadBody(utf8((await get(log.url + 'get-tree-head')).text));
    const r = await get(log.url + 'checkpoint');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('public, max-age=2');
    const cp = parseCosignedCheckpoint(r.text, logKey.publicKey);
    expect(cp.treeHead).toEqual(th);
    expect(r.text).toBe(formatCosignedCheckpoint(th, logKey.publicKey).note);
  });

  it('gives the tiles client the v1 API\'s proofs and leaves, byte for byte', async () => {
    const cp = await client(log.url).checkpoint();
    expect(cp.size).toBe(N);
    expect(toHex(await cp.tree.root())).toBe(toHex(cp.treeHead.rootHash));
    const leafHashes: Uint8Array[] = [];
    for (let i = 0; i < N; i++) leafHashes.push(await cp.tree.leafHash(i));
    for (const size of [2, 3, 255, 256, 257, 299, N]) {
      for (let i = 0; i < size; i += size > 100 ? 13 : 1) {
        const body = (await get(`${log.url}get-inclusion-proof/${size}/${toHex(leafHashes[i]!)}`)).text;
        const proof = parseInclusionProofBody(utf8(body));
        expect(proof.leafIndex).toBe(BigInt(i));
        const tiles = (await cp.tree.inclusionProof(i, size)).map(toHex);
        expect(tiles).toEqual(proof.path.map(toHex));
        v1.inclusion.set(`${i}/${size}`, tiles);
      }
    }
    for (const [m, n] of [[1, 2], [1, N], [17, 256], [255, 257], [256, N], [257, 299], [299, N], [100, 200]] as const) {
      const body = (await get(`${log.url}get-consistency-proof/${m}/${n}`)).text;
      const tiles = (await cp.tree.consistencyProof(m, n)).map(toHex);
      expect(tiles).toEqual(parseConsistencyProofBody(utf8(body)).path.map(toHex));
      v1.consistency.set(`${m}/${n}`, tiles);
    }
    const leaves = [
      ...parseLeavesBody(utf8((await get(`${log.url}get-leaves/0/${N}`)).text), { maxCount: N, maxBytes: 1 << 20 }),
    ];
    v1.leaves = serializeLeaves(leaves);
    expect(serializeLeaves((await cp.tree.entries(0, N)).map(leafFromBytes))).toBe(v1.leaves);
  });

  it('uses immutable caching for full resources, short-lived for partial ones, gzip for bundles, ETags', async () => {
    let r = await rawGet(log.url + 'tile/0/000');
    expect([r.status, r.headers['cache-control'], r.headers['content-type'], r.body.length]).toEqual([200, 'public, max-age=31536000, immutable', 'application/octet-stream', 8192]);
    const etag = r.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    r = await rawGet(log.url + 'tile/0/000', { 'if-none-match': etag });
    expect([r.status, r.body.length]).toEqual([304, 0]);
    r = await rawGet(log.url + 'tile/0/001.p/44');
    expect([r.status, r.headers['cache-control'], r.body.length]).toEqual([200, 'public, max-age=60', 44 * 32]);
    r = await rawGet(log.url + 'tile/entries/000', { 'accept-encoding': 'gzip' });
    expect([r.status, r.headers['content-encoding'], r.headers.vary]).toEqual([200, 'gzip', 'Accept-Encoding']);
    const { gunzipSync } = await import('node:zlib');
    const plain = await rawGet(log.url + 'tile/entries/000');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBe(256 * 130);
    expect(gunzipSync(r.body).equals(plain.body)).toBe(true);
    expect(r.headers.etag).not.toBe(plain.headers.etag);
  });

  it('answers 404 beyond the tree and 400 with a message for malformed paths', async () => {
    const cases: [string, number, string][] = [
      ['tile/0/001', 404, 'tile/0/001 is beyond the published tree (size 300)\n'],
      ['tile/0/001.p/45', 404, 'tile/0/001.p/45 is beyond the published tree (size 300)\n'],
      ['tile/2/000.p/1', 404, 'tile/2/000.p/1 is beyond the published tree (size 300)\n'],
      ['tile/entries/002.p/1', 404, 'tile/entries/002.p/1 is beyond the published tree (size 300)\n'],
      ['tile/0/x000/001', 400, '"tile/0/x000/001": tile index has a leading x000 element\n'],
      ['tile/01/000', 400, '"tile/01/000": invalid tile level "01" (decimal 0-63, no leading zeros)\n'],
      ['tile/0/000.p/256', 400, '"tile/0/000.p/256": partial tile width 256 is above 255\n'],
      ['tile/0/000.p/0', 400, '"tile/0/000.p/0": invalid partial tile width "0" (decimal 1-255, no leading zeros)\n'],
      ['tile/0/1', 400, '"tile/0/1": invalid tile index element "1" (expected 3 digits)\n'],
    ];
    for (const [path, status, message] of cases) {
      const r = await get(log.url + path);
      expect([path, r.status, r.text]).toEqual([path, status, message]);
    }
    // Nothing was disturbed: the tree still reads back whole.
    expect((await client(log.url).checkpoint()).size).toBe(N);
  });

  it('exports the same bytes the log serves, and keeps readers consistent while following new heads', async () => {
    const r = runToExit(['tiles', '-c', configPath, '--out', exportDir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`exported size=${N} written=5\n`);
    const files = filesUnder(exportDir).map((f) => relative(exportDir, f)).sort();
    expect(files).toEqual(['checkpoint', 'tile/0/000', 'tile/0/001.p/44', 'tile/1/000.p/1', 'tile/entries/000', 'tile/entries/001.p/44']);
    for (const f of files) {
      const served = await rawGet(log.url + f);
      expect(served.body.equals(readFileSync(join(exportDir, f))), f).toBe(true);
    }
    // A second pass with nothing new writes nothing.
    expect(runToExit(['tiles', '-c', configPath, '--out', exportDir]).stdout).toBe('');
    // On a terminal, the first export says how far it is (and nothing extra in scripts, above).
    const tty = await runOnTty(['tiles', '-c', configPath, '--out', join(tmp.dir, 'tty-export')]);
    expect(tty.status).toBe(0);
    expect(tty.out).toMatch(new RegExp(`^(\\rexporting: \\d/5 tiles and bundles \\(\\d+%\\))*\\rexporting: 5/5 tiles and bundles \\(100%\\)\\r\\nexported size=${N} written=5\\r\\n$`));

    // Follow while the log grows; readers of the log and of the export verify every checkpoint they see.
    nginx = await startNginx(exportDir, join(tmp.dir, 'nginx'));
    const follower = spawn(process.execPath, [CLI, 'tiles', '-c', configPath, '--out', exportDir, '--follow', '--interval', '30'], { stdio: 'ignore' });
    const more = await makeSubmissions(300, 'tiles-more');
    let done = false;
    const seen = { log: new Set<number>(), nginx: new Set<number>() };
    const reader = async (url: string, sizes: Set<number>) => {
      let last: { size: number; rootHash: Uint8Array } | undefined;
      while (!done) {
        const cp = await client(url).checkpoint();
        await cp.tree.root();
        if (cp.size > 0) await cp.tree.entries(cp.size - 1, cp.size);
        if (last !== undefined) expect(toHex(await cp.tree.rootAt(last.size))).toBe(toHex(last.rootHash));
        last = { size: cp.size, rootHash: cp.treeHead.rootHash };
        sizes.add(cp.size);
      }
    };
    const stopped = new Promise((res) => follower.once('exit', res));
    try {
      const readers = [reader(log.url, seen.log), reader(nginx.url, seen.nginx)];
      await pool(more, 32, (s) => submitUntilSequenced(log.url, s.body, 20));
      for (let i = 0; ; i++) {
        const cp = await client(nginx.url).checkpoint();
        if (cp.size === 2 * N) break;
        if (i > 200) throw new Error(`the export did not reach size ${2 * N}`);
        await new Promise((res) => setTimeout(res, 50));
      }
      done = true;
      await Promise.all(readers);
    } finally {
      done = true;
      follower.kill('SIGTERM');
      await stopped;
    }
    // Both readers went through several published sizes, every one verified and consistent with the last.
    expect(seen.nginx.size).toBeGreaterThan(1);
    expect(seen.log.size).toBeGreaterThan(1);
    // Partial tiles replaced by full ones are gone; full ones stay.
    const after = filesUnder(exportDir).map((f) => relative(exportDir, f));
    expect(after).toContain('tile/0/001');
    expect(after).not.toContain('tile/0/001.p/44');
  }, 120_000);

  it('serves the export from nginx alone, with the log stopped, to the tiles client', async () => {
    await log.stop();
    const c = client(nginx!.url);
    const cp = await c.checkpoint();
    expect(cp.size).toBe(2 * N);
    // Proofs within the first N leaves are the ones the v1 API served.
    for (const [k, path] of v1.inclusion) {
      const [i, size] = k.split('/').map(Number) as [number, number];
      expect((await cp.tree.inclusionProof(i, size)).map(toHex), k).toEqual(path);
    }
    for (const [k, path] of v1.consistency) {
      const [m, n] = k.split('/').map(Number) as [number, number];
      expect((await cp.tree.consistencyProof(m, n)).map(toHex), k).toEqual(path);
    }
    expect(serializeLeaves((await cp.tree.entries(0, N)).map(leafFromBytes))).toBe(v1.leaves);
    const r = await rawGet(nginx!.url + 'tile/entries/000', { 'accept-encoding': 'gzip' });
    expect([r.status, r.headers['content-encoding'], r.headers['cache-control']]).toEqual([200, 'gzip', 'public, max-age=31536000, immutable']);
    const p = await rawGet(nginx!.url + 'tile/0/002.p/88');
    expect([p.status, p.headers['cache-control']]).toEqual([200, 'public, max-age=60']);
    expect((await rawGet(nginx!.url + 'checkpoint')).headers['cache-control']).toBe('public, max-age=2');
  });

  describe('a lying tile server', () => {
    let server: Server;
    let url: string;
    let lie: (path: string, body: Buffer) => Buffer = (_p, b) => b;
    const encodings: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        const path = (req.url ?? '/').slice(1);
        encodings.push(`${path} ${req.headers['accept-encoding']}`);
        let body: Buffer;
        try {
          body = readFileSync(join(exportDir, path));
        } catch {
          res.writeHead(404).end('not found\n');
          return;
        }
        res.writeHead(200).end(lie(path, body));
      });
      await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    });
    afterAll(() => new Promise<void>((res) => server.close(() => res())));

    const flip = (target: string, offset: number) => (path: string, body: Buffer) => {
      if (path !== target) return body;
      const b = Buffer.from(body);
      b[offset]! ^= 0x01;
      return b;
    };

    it('is asked for uncompressed tiles and bundles unless the client wants gzip', async () => {
      lie = (_p, b) => b;
      encodings.length = 0;
      await (await client(url).checkpoint()).tree.entries(0, 1);
      expect(encodings.sort()).toEqual(['checkpoint identity', 'tile/0/002.p/88 identity', 'tile/1/000.p/2 identity', 'tile/entries/000 identity']);
      encodings.length = 0;
      await (await new TilesClient({ url, policy: parsePolicy(policyText), retries: 0, gzip: true }).checkpoint()).tree.entries(0, 1);
      expect(new Set(encodings.map((e) => e.slice(e.indexOf(' ') + 1)))).toEqual(new Set(['gzip, deflate']));
    });

    it('one flipped byte in one tile', async () => {
      lie = flip('tile/0/001', 77);
      const cp = await client(url).checkpoint();
      const e = await errorOf(cp.tree.inclusionProof(300));
      expect([e.code, e.where, e.message]).toEqual(['tiles.tile-mismatch', 'tile/0/001', 'tile/0/001: tile does not hash to its entry in the tile above']);
    });

    it('one flipped byte in one entry bundle', async () => {
      lie = flip('tile/entries/001', 2 + 130 * 3);
      const cp = await client(url).checkpoint();
      const e = await errorOf(cp.tree.entries(256, 260));
      expect([e.code, e.where]).toEqual(['tiles.bundle-mismatch', 'tile/entries/001']);
    });

    it('a stale partial tile', async () => {
      // The partial level-0 tile of an older size, of the right length: bytes of another width's prefix.
      const full = readFileSync(join(exportDir, 'tile/0/001'));
      lie = (path, body) => (path === 'tile/0/002.p/88' ? Buffer.concat([body.subarray(0, 87 * 32), full.subarray(0, 32)]) : body);
      const cp = await client(url).checkpoint();
      const e = await errorOf(cp.tree.root());
      expect(e.code).toBe('tiles.root-mismatch');
      expect(e.message).toContain('do not hash to the checkpoint\'s root of size 600');
    });

    it('a checkpoint for a different tree, validly signed by the log key', async () => {
      const served = readFileSync(join(exportDir, 'checkpoint'), 'utf8');
      const real = parseCosignedCheckpoint(served, logKey.publicKey).treeHead;
      const forged = await signTreeHead(logKey, { size: real.size, rootHash: sha256(utf8('another tree')) });
      const note = formatCosignedCheckpoint({ ...forged, cosignatures: [] }, logKey.publicKey).note;
      lie = (path, body) => (path === 'checkpoint' ? Buffer.from(note) : body);
      const cp = await client(url).checkpoint();
      const e = await errorOf(cp.tree.root());
      expect(e.code).toBe('tiles.root-mismatch');
    });

    it('a checkpoint with a bad signature, and one of another log', async () => {
      const served = readFileSync(join(exportDir, 'checkpoint'), 'utf8');
      lie = (path, body) => (path === 'checkpoint' ? Buffer.from(served.replace(/\n(\d+)\n/, (_m, s: string) => `\n${Number(s) + 1}\n`)) : body);
      let e = await errorOf(client(url).checkpoint());
      expect([e.code, e.message]).toEqual(['tiles.checkpoint-log-signature', `${url}checkpoint: invalid log signature on the tree head`]);
      const other = new SeedSigner(sha256(utf8('another log')));
      const sth = await signTreeHead(other, { size: 1n, rootHash: fromHex('00'.repeat(32)) });
      lie = (path, body) => (path === 'checkpoint' ? Buffer.from(formatCosignedCheckpoint({ ...sth, cosignatures: [] }, other.publicKey).note) : body);
      e = await errorOf(client(url).checkpoint());
      expect([e.code, e.message]).toEqual(['tiles.checkpoint-unknown-log', `${url}checkpoint: the checkpoint is not from a log of the policy`]);
    });
  });
});
