/**
 * tlog-tiles across a hot-standby failover, with real processes: a primary
 * and its secondary; the primary's tiles are exported with `--follow`; the
 * primary is SIGKILLed and the secondary promoted. The promoted log serves
 * the same bytes for every tile, bundle and checkpoint of the old head, the
 * export (the same directory, the follower now pointed at the promoted
 * node) keeps every file a cache may hold untouched, and it follows the
 * promoted log's new heads.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TilesClient, formatTilePath, parseCosignedCheckpoint, parseOpenSshPublicKey, parsePolicy, tilesOfTree, toHex } from '@sigsum-kit/sdk';
import { CLI, filesUnder, makeSubmissions, pool, submitUntilSequenced } from './log-helpers.js';
import { field, freePort, getText, initNode, runCli, scratchSpace, startNode, waitFor } from './replication-helpers.js';

const TOKEN = 'tiles-failover-token';
// A full tile and bundle, a partial level-0 tile and bundle, a partial level-1 tile.
const N = 260;
const MORE = 40;

/** Every exported file by relative path: its bytes and what shows a rewrite (inode, mtime). */
function snapshot(dir: string): Map<string, { bytes: Buffer; ino: number; mtimeMs: number }> {
  const out = new Map<string, { bytes: Buffer; ino: number; mtimeMs: number }>();
  for (const f of filesUnder(dir)) {
    const st = statSync(f);
    out.set(relative(dir, f), { bytes: readFileSync(f), ino: st.ino, mtimeMs: st.mtimeMs });
  }
  return out;
}

async function bytesOf(url: string): Promise<{ status: number; bytes: Buffer }> {
  const r = await fetch(url);
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
}

/** `sigsum-log tiles --follow` for `config` into `out`; resolves its stdout once stopped. */
function follow(config: string, out: string): { stop: () => Promise<string>; stdout: () => string } {
  const proc = spawn(process.execPath, [CLI, 'tiles', '-c', config, '--out', out, '--follow', '--interval', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    stdout: () => stdout,
    stop: async () => {
      proc.kill('SIGTERM');
      const code = await exited;
      if (code !== 0 || stderr !== '') throw new Error(`tiles --follow exited ${code}: ${stderr}`);
      return stdout;
    },
  };
}

describe('tiles after failover', () => {
  const { tmp, running } = scratchSpace('sigsum-tiles-failover-');

  it('the promoted log serves and exports the same tiles, and the export follows it', async () => {
    chmodSync(tmp.dir, 0o755);
    const [pub, internal, sport, spub] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const pdir = join(tmp.dir, 'p');
    const sdir = join(tmp.dir, 's');
    const pconfig = initNode(pdir, {
      intervalMs: 100,
      integrateIntervalMs: 5,
      listen: `127.0.0.1:${pub}`,
      internalListen: `127.0.0.1:${internal}`,
      secondaryUrl: `http://127.0.0.1:${sport}/`,
      replicationToken: TOKEN,
    });
    const sconfig = initNode(
      sdir,
      { listen: `127.0.0.1:${spub}`, internalListen: `127.0.0.1:${sport}`, primaryUrl: `http://127.0.0.1:${internal}/`, replicationToken: TOKEN, replicationIntervalMs: 20 },
      join(pdir, 'log.key.pub'),
    );
    writeFileSync(pconfig, JSON.stringify({ ...JSON.parse(readFileSync(pconfig, 'utf8')), secondaryPublicKey: join(sdir, 'log.key.pub') }, null, 2));
    const primary = await startNode(['primary', '-c', pconfig], 'log started');
    running.push(primary);
    const secondary = await startNode(['secondary', '-c', sconfig], 'secondary started');
    running.push(secondary);
    const purl = `http://127.0.0.1:${pub}/`;
    const logKey = parseOpenSshPublicKey(readFileSync(join(pdir, 'log.key.pub'), 'utf8').trim()).publicKey;
    const policy = parsePolicy(`log ${toHex(logKey)}\nquorum none\n`);

    const subs = await makeSubmissions(N + MORE, 'tiles-failover');
    await pool(subs.slice(0, N), 64, (s) => submitUntilSequenced(purl, s.body, 20));
    expect(await waitFor(async () => field((await getText(purl + 'get-tree-head')).text, 'size') === `${N}`, 20_000)).toBe(true);

    // The export follows the primary while it runs.
    const exportDir = join(tmp.dir, 'export');
    const f1 = follow(pconfig, exportDir);
    expect(await waitFor(() => f1.stdout().includes(`exported size=${N} `), 20_000)).toBe(true);

    // Everything the old primary serves for its head.
    const head = (await getText(purl + 'get-tree-head')).text;
    const served = new Map<string, Buffer>();
    for (const path of ['checkpoint', ...tilesOfTree(N).map(formatTilePath)]) {
      const r = await bytesOf(purl + path);
      expect([path, r.status]).toEqual([path, 200]);
      served.set(path, r.bytes);
    }
    expect([...served.keys()].filter((p) => !p.includes('.p/'))).toEqual(['checkpoint', 'tile/0/000', 'tile/entries/000']);

    // The primary dies; the secondary (in sync: the primary publishes only what it holds) is stopped and promoted.
    expect((await primary.stop('SIGKILL')).signal).toBe('SIGKILL');
    expect(await f1.stop()).toBe(`exported size=${N} written=5\n`);
    const before = snapshot(exportDir);
    expect([...before.keys()].sort()).toEqual([...served.keys()].sort());
    for (const [path, bytes] of served) expect(before.get(path)!.bytes.equals(bytes), path).toBe(true);
    expect((await secondary.stop('SIGTERM')).code).toBe(0);
    const headFile = join(tmp.dir, 'head.txt');
    writeFileSync(headFile, head);
    const newConfig = join(sdir, 'primary.json');
    const promoted = runCli(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', headFile, '--write-config', newConfig]);
    expect(promoted.status, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain(`promoted: tree_size=${N} published_size=${N} startup_mode=local-tree\n`);
    const next = await startNode(['primary', '-c', newConfig], 'log started');
    running.push(next);
    const nurl = `http://127.0.0.1:${spub}/`;

    // Same bytes for the same head: the checkpoint (deterministic signature, no cosignatures here) and every tile and bundle.
    for (const [path, bytes] of served) {
      const r = await bytesOf(nurl + path);
      expect([path, r.status, r.bytes.equals(bytes)]).toEqual([path, 200, true]);
    }

    // The follower, now pointed at the promoted node, accepts the export as it is and rewrites nothing.
    const f2 = follow(newConfig, exportDir);
    await new Promise((r) => setTimeout(r, 300));
    const unchanged = snapshot(exportDir);
    for (const [path, s] of before) expect([path, unchanged.get(path)]).toEqual([path, s]);

    // New heads of the promoted log reach the export; full files already exported stay as they were.
    await pool(subs.slice(N), 64, (s) => submitUntilSequenced(nurl, s.body, 20));
    expect(await waitFor(() => f2.stdout().includes(`exported size=${N + MORE} `), 20_000), f2.stdout()).toBe(true);
    expect(await f2.stop()).toMatch(new RegExp(`exported size=${N + MORE} written=\\d+\\n$`));
    const after = snapshot(exportDir);
    for (const [path, s] of before) {
      if (path === 'checkpoint' || path.includes('.p/')) continue;
      expect([path, after.get(path)]).toEqual([path, s]);
    }
    // The export is what the promoted log serves, and the tiles client reads it as one history.
    // (Partial tiles of the sizes in between stay: older checkpoints name them.)
    const final = ['checkpoint', ...tilesOfTree(N + MORE).map(formatTilePath)];
    expect([...after.keys()].filter((p) => !final.includes(p) && !p.includes('.p/'))).toEqual([]);
    for (const p of final) expect(after.has(p), p).toBe(true);
    for (const [path, s] of after) {
      const r = await bytesOf(nurl + path);
      expect([path, r.status, r.bytes.equals(s.bytes)]).toEqual([path, 200, true]);
    }
    const cp = await new TilesClient({ url: nurl, policy, retries: 0 }).checkpoint();
    expect(cp.size).toBe(N + MORE);
    const old = parseCosignedCheckpoint(served.get('checkpoint')!.toString('utf8'), logKey).treeHead;
    expect(toHex(await cp.tree.rootAt(N))).toBe(toHex(old.rootHash));
  }, 120_000);
});
