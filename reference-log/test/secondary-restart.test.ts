/**
 * SIGKILL and restart the secondary under load (real processes): while it is
 * down the primary publishes nothing new and answers 200 only for leaves the
 * secondary had durably stored before it died; once it is back it catches up
 * and the primary publishes again.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LogClient, parseCosignedTreeHeadBody, toHex, verifyInclusion } from '@sigsum-kit/sdk';
import { openSqliteStorage } from '../src/storage/index.js';
import { pool } from './log-helpers.js';
import { LeafFactory, field, freePort, getText, initNode, patchConfig, scratchSpace, startNode, waitFor } from './replication-helpers.js';

const CYCLES = 3;

describe('secondary SIGKILL and restart under load', () => {
  const { tmp, running } = scratchSpace('sigsum-secondary-restart-');

  it('gives no 200 for an unreplicated leaf and publishes again after catching up', async () => {
    const [pub, internal, sport] = [await freePort(), await freePort(), await freePort()];
    const pdir = join(tmp.dir, 'p');
    const sdir = join(tmp.dir, 's');
    const pconfig = initNode(pdir, {});
    const sconfig = initNode(sdir, { internalListen: `127.0.0.1:${sport}`, primaryUrl: `http://127.0.0.1:${internal}/`, replicationIntervalMs: 20 }, join(pdir, 'log.key.pub'));
    patchConfig(pconfig, {
      listen: `127.0.0.1:${pub}`,
      internalListen: `127.0.0.1:${internal}`,
      intervalMs: 100,
      integrateIntervalMs: 5,
      secondaryUrl: `http://127.0.0.1:${sport}/`,
      secondaryPublicKey: join(sdir, 'log.key.pub'),
    });
    const url = `http://127.0.0.1:${pub}/`;
    const internalUrl = `http://127.0.0.1:${internal}/`;
    const primary = await startNode(['primary', '-c', pconfig], 'log started');
    running.push(primary);
    let secondary = await startNode(['secondary', '-c', sconfig], 'secondary started');
    running.push(secondary);

    const factory = new LeafFactory('secondary-restart');
    const acks: { hex: string; body: string; leafHash: Uint8Array; at: number }[] = [];
    let accepted = 0;
    const unexpected: string[] = [];
    let alive = true;
    const submitter = async (): Promise<void> => {
      while (alive) {
        const leaf = await factory.next();
        while (alive) {
          const r = await fetch(url + 'add-leaf', { method: 'POST', body: leaf.body });
          await r.arrayBuffer();
          if (r.status === 200) {
            acks.push({ hex: leaf.hex, body: leaf.body, leafHash: leaf.leafHash, at: Date.now() });
            break;
          }
          if (r.status === 202) accepted++;
          else unexpected.push(`add-leaf answered ${r.status}`);
          await new Promise((res) => setTimeout(res, 20));
        }
      }
    };
    const published: { size: bigint; at: number }[] = [];
    const watcher = async (): Promise<void> => {
      while (alive) {
        const th = parseCosignedTreeHeadBody((await getText(url + 'get-tree-head')).text);
        published.push({ size: th.size, at: Date.now() });
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    const load = Promise.all([...Array.from({ length: 8 }, submitter), watcher()]);

    const windows: { from: number; to: number; sizeAtKill: number }[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await new Promise((res) => setTimeout(res, 400 + Math.floor(Math.random() * 300)));
      expect(await waitFor(() => acks.length >= 5)).toBe(true);
      const from = Date.now();
      expect((await secondary.stop('SIGKILL')).signal).toBe('SIGKILL');
      // What the secondary had durably stored when it died (SQLite recovers its WAL on open).
      const db = openSqliteStorage(join(sdir, 'data', 'log.sqlite'));
      const sizeAtKill = db.treeSize();
      db.close();
      const acceptedBefore = accepted;
      expect(await waitFor(async () => field((await getText(internalUrl + 'health')).text, 'replication') === 'failing', 5000)).toBe(true);
      // Re-sent leaves the secondary already has still get 200 (and are checked below like every 200).
      for (const old of acks.slice(0, 5)) {
        const r = await fetch(url + 'add-leaf', { method: 'POST', body: old.body });
        await r.arrayBuffer();
        expect(r.status).toBe(200);
        acks.push({ ...old, at: Date.now() });
      }
      await new Promise((res) => setTimeout(res, 500));
      expect(accepted, 'submissions kept getting 202 while the secondary was down').toBeGreaterThan(acceptedBefore);
      secondary = await startNode(['secondary', '-c', sconfig], 'secondary started');
      running.push(secondary);
      windows.push({ from, to: Date.now(), sizeAtKill });
      // Caught up: the primary publishes beyond what the secondary had when it died.
      expect(
        await waitFor(async () => parseCosignedTreeHeadBody((await getText(url + 'get-tree-head')).text).size > BigInt(sizeAtKill), 15_000),
        `cycle ${cycle}: no new head after the secondary came back`,
      ).toBe(true);
    }
    alive = false;
    await load;
    expect(unexpected).toEqual([]);
    const health = (await getText(internalUrl + 'health')).text;
    expect(field(health, 'replication')).toBe('ok');
    // The primary said so in its log: a warning per outage, and the recovery.
    const msgs = primary.lines().map((l) => [l.level, l.msg]);
    expect(msgs.filter(([, m]) => m === 'secondary unreachable; tree heads are not published until it answers').length).toBeGreaterThanOrEqual(CYCLES);
    expect(msgs).toContainEqual([40, 'secondary unreachable; tree heads are not published until it answers']);
    expect(msgs.filter(([, m]) => m === 'secondary is replicating again').length).toBeGreaterThanOrEqual(CYCLES);

    // While the secondary was down: no head beyond its stored size, no 200 for a leaf at or beyond it.
    for (const w of windows) {
      for (const p of published.filter((x) => x.at > w.from && x.at < w.to)) expect(p.size <= BigInt(w.sizeAtKill)).toBe(true);
    }
    const client = new LogClient({ url, retries: 2 });
    let final = await client.getTreeHead();
    await waitFor(async () => {
      final = await client.getTreeHead();
      return final.size === BigInt(field((await getText(internalUrl + 'health')).text, 'tree_size') ?? -1);
    });
    let checkedInWindow = 0;
    await pool(acks, 16, async (a) => {
      const p = await client.getInclusionProof(final.size, a.leafHash);
      verifyInclusion(a.leafHash, p.leafIndex, final.size, p.path, final.rootHash);
      for (const w of windows) {
        if (a.at > w.from && a.at < w.to) {
          checkedInWindow++;
          expect(p.leafIndex < BigInt(w.sizeAtKill), `leaf ${toHex(a.leafHash)} got 200 at index ${p.leafIndex} while the secondary had ${w.sizeAtKill}`).toBe(true);
        }
      }
    });
    expect(acks.length).toBeGreaterThan(20);
    expect(checkedInWindow).toBeGreaterThanOrEqual(CYCLES * 5);
    console.log(`secondary restart: ${CYCLES} SIGKILLs, ${acks.length} acknowledgements (${checkedInWindow} during downtime, all below the secondary's stored size), final size ${final.size}`);
  }, 90_000);
});
