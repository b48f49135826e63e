/**
 * A secondary pointed at a forked primary (same log key, different leaves;
 * real processes) detects the mismatch before storing anything, stops
 * replicating, and says so loudly: an `error` log line, `/health` 503 with
 * `status=fork`, and its tree unchanged.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeafFactory, field, freePort, getText, initNode, patchConfig, scratchSpace, startNode, waitFor } from './replication-helpers.js';

describe('secondary given a forked primary', () => {
  const { tmp, running } = scratchSpace('sigsum-secondary-fork-');

  const fill = async (url: string, label: string, n: number): Promise<void> => {
    const f = new LeafFactory(label);
    for (let i = 0; i < n; i++) {
      const leaf = await f.next();
      for (;;) {
        const r = await fetch(url + 'add-leaf', { method: 'POST', body: leaf.body });
        await r.arrayBuffer();
        if (r.status === 200) break;
        expect(r.status).toBe(202);
        await new Promise((res) => setTimeout(res, 10));
      }
    }
  };

  it('stops replicating loudly and keeps its tree', async () => {
    const pdir = join(tmp.dir, 'p');
    const pconfig = initNode(pdir, { intervalMs: 100, integrateIntervalMs: 5 });
    // The fork: another database served with the same log key.
    const forkConfig = join(tmp.dir, 'fork.json');
    writeFileSync(forkConfig, readFileSync(pconfig));
    // A copy of the fresh database: same log key, then other leaves (only init creates a database).
    mkdirSync(join(tmp.dir, 'fork-data'));
    copyFileSync(join(pdir, 'data', 'log.sqlite'), join(tmp.dir, 'fork-data', 'log.sqlite'));
    const ports = { p: await freePort(), pi: await freePort(), f: await freePort(), fi: await freePort(), s: await freePort() };
    patchConfig(pconfig, { listen: `127.0.0.1:${ports.p}`, internalListen: `127.0.0.1:${ports.pi}` });
    patchConfig(forkConfig, { keyFile: join(pdir, 'log.key'), dataDir: join(tmp.dir, 'fork-data'), listen: `127.0.0.1:${ports.f}`, internalListen: `127.0.0.1:${ports.fi}` });
    const primary = await startNode(['primary', '-c', pconfig], 'log started');
    const fork = await startNode(['primary', '-c', forkConfig], 'log started');
    running.push(primary, fork);
    await fill(`http://127.0.0.1:${ports.p}/`, 'honest', 6);
    await fill(`http://127.0.0.1:${ports.f}/`, 'forked', 9);

    const sdir = join(tmp.dir, 's');
    const sconfig = initNode(sdir, { internalListen: `127.0.0.1:${ports.s}`, primaryUrl: `http://127.0.0.1:${ports.pi}/`, replicationIntervalMs: 20 }, join(pdir, 'log.key.pub'));
    const sUrl = `http://127.0.0.1:${ports.s}/`;
    let secondary = await startNode(['secondary', '-c', sconfig], 'secondary started');
    running.push(secondary);
    expect(await waitFor(async () => field((await getText(sUrl + 'health')).text, 'tree_size') === '6')).toBe(true);
    const honestHead = (await getText(sUrl + 'get-secondary-tree-head')).text;
    expect((await secondary.stop()).code).toBe(0);

    // Pointed at the fork (9 leaves, a different first 6): nothing is stored, replication stops.
    secondary = await startNode(['secondary', '-c', sconfig, '--primary-url', `http://127.0.0.1:${ports.fi}/`], 'secondary started');
    running.push(secondary);
    const health = await getText(sUrl + 'health');
    expect(health.status).toBe(503);
    expect(field(health.text, 'status')).toBe('fork');
    expect(field(health.text, 'tree_size')).toBe('6');
    expect(field(health.text, 'primary_size')).toBe('9');
    expect(field(health.text, 'error')).toMatch(/^leaves 6\.\.8 from the primary hash to root [0-9a-f]{64}, but the primary's root at size 9 is [0-9a-f]{64}$/);
    const loud = secondary.lines().find((l) => l.msg === 'primary forked from the replicated tree; replication stopped');
    expect(loud?.level).toBe(50);
    // It keeps serving what it has; it stays stopped even while the fork keeps answering.
    await new Promise((res) => setTimeout(res, 200));
    expect((await getText(sUrl + 'get-secondary-tree-head')).text).toBe(honestHead);
    expect(secondary.lines().filter((l) => l.msg === 'primary forked from the replicated tree; replication stopped')).toHaveLength(1);
  }, 60_000);
});
