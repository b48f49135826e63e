/**
 * A fresh secondary catching up with a primary of a few thousand leaves
 * (real processes): in a script (no terminal) it writes rate-limited
 * `catching up: X of Y leaves` log lines and one `caught up with the primary`
 * line, then nothing more while it only follows the primary; restarted with
 * nothing to catch up, it writes none. On a terminal (script(1)) it draws a
 * progress line with rate and ETA instead.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashLeaf, sha256, utf8 } from '@sigsum-kit/sdk';
import { CompactRange } from '@sigsum-kit/sdk/internal';
import { openSqliteStorage } from '../src/storage/index.js';
import { DATABASE_FILE } from '../src/cli/database.js';
import { CLI } from './log-helpers.js';
import { LeafFactory, field, freePort, getText, initNode, scratchSpace, startNode, waitFor } from './replication-helpers.js';

const LEAVES = 2000;
const BATCH = 250;
const { tmp, running } = scratchSpace('sigsum-secondary-progress-');

/** Append `n` leaves straight into a stopped primary's database (no signatures needed to replicate them). */
function bulkLeaves(dataDir: string, n: number): void {
  const storage = openSqliteStorage(join(dataDir, DATABASE_FILE));
  try {
    const range = CompactRange.restore(storage.treeSize(), storage);
    const records = Array.from({ length: n }, (_, i) => {
      const leaf = new Uint8Array(128);
      leaf.set(sha256(utf8(`progress leaf ${i}`)));
      return { leaf, leafHash: hashLeaf(leaf) };
    });
    storage.appendLeaves(records, records.flatMap((r) => range.append(r.leafHash)));
  } finally {
    storage.close();
  }
}

const catchingUp = (l: { msg?: string }): boolean => /^catching up: \d+ of \d+ leaves$/.test(l.msg ?? '');

describe('secondary catching up with a large primary', () => {
  it('logs progress while catching up, stops once caught up, and is quiet with nothing to catch up', async () => {
    const pdir = join(tmp.dir, 'primary');
    const internal = await freePort();
    const pconfig = initNode(pdir, { listen: `127.0.0.1:${await freePort()}`, internalListen: `127.0.0.1:${internal}`, intervalMs: 200 });
    bulkLeaves(join(pdir, 'data'), LEAVES);
    const primary = await startNode(['primary', '-c', pconfig], 'log started');
    running.push(primary);
    const publicUrl = `http://${(JSON.parse(readFileSync(pconfig, 'utf8')) as { listen: string }).listen}/`;

    const newSecondary = async (name: string): Promise<{ config: string; url: string }> => {
      const port = await freePort();
      const config = initNode(join(tmp.dir, name), { internalListen: `127.0.0.1:${port}`, primaryUrl: `http://127.0.0.1:${internal}/`, replicationIntervalMs: 50, maxRange: BATCH }, join(pdir, 'log.key.pub'));
      return { config, url: `http://127.0.0.1:${port}/` };
    };

    // Two fresh secondaries catch up at once: one on a terminal (script(1) gives it a pseudo-terminal), one in a script.
    const t = await newSecondary('tty-secondary');
    const cmd = [process.execPath, CLI, 'secondary', '-c', t.config].map((a) => `'${a}'`).join(' ');
    const tty = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    onTestFinished(() => {
      process.kill(-tty.pid!, 'SIGKILL');
    });
    let out = '';
    tty.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const s = await newSecondary('secondary');
    let secondary = await startNode(['secondary', '-c', s.config], 'secondary started', 60_000);
    running.push(secondary);
    expect(field((await getText(s.url + 'health')).text, 'tree_size')).toBe(String(LEAVES));
    const progress = secondary.lines().filter(catchingUp);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toMatchObject({ msg: `catching up: 0 of ${LEAVES} leaves`, size: 0, primarySize: LEAVES });
    const caughtUp = secondary.lines().filter((l) => l.msg === 'caught up with the primary');
    expect(caughtUp).toEqual([expect.objectContaining({ size: LEAVES, leaves: LEAVES })]);
    expect(secondary.output()).not.toContain('\r');

    // Following the primary leaf by leaf is not a catch-up: no more progress lines.
    const leaves = new LeafFactory('progress');
    for (let i = 0; i < 3; i++) expect([200, 202]).toContain((await fetch(publicUrl + 'add-leaf', { method: 'POST', body: (await leaves.next()).body })).status);
    expect(await waitFor(async () => field((await getText(s.url + 'health')).text, 'tree_size') === String(LEAVES + 3))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(secondary.lines().filter(catchingUp)).toEqual(progress);
    expect(secondary.lines().filter((l) => l.msg === 'caught up with the primary')).toHaveLength(1);

    // Restarted with nothing to catch up: quiet.
    await secondary.stop();
    secondary = await startNode(['secondary', '-c', s.config], 'secondary started');
    running.push(secondary);
    await new Promise((r) => setTimeout(r, 300));
    expect(secondary.lines().filter((l) => catchingUp(l) || l.msg === 'caught up with the primary')).toEqual([]);

    // On a terminal: a progress line redrawn in place, with rate and ETA, instead of the log lines.
    expect(await waitFor(() => out.includes('"msg":"secondary started"'), 60_000)).toBe(true);
    expect(out).toMatch(/\rcatching up with the primary: 0\/2000 leaves \(0%\), 0 leaves\/s, ETA \?/);
    expect(out).toMatch(/"msg":"caught up with the primary"/);
    expect(out).not.toMatch(/"msg":"catching up: /);
  }, 90_000);
});
