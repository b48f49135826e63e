// A real full disk under a running `sigsum-log primary`: its database on a
// small tmpfs that the test fills up. Integration fails until space is freed;
// it must back off, log once per change of state (not every 10 ms), keep
// counting failures in the metric, and lose no leaf it acknowledged.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { toHex } from '@sigsum-kit/sdk';
import { get, initLog, makeSubmissions, startLogProcess, submitUntilSequenced, tempDir } from './log-helpers.js';
import { mountSmallDisk } from './full-disk.js';

interface Line {
  level: number;
  msg: string;
  failures?: number;
  suppressed?: number;
  failingMs?: number;
  err?: string;
}

function lines(output: string): Line[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

async function appendFailures(internalUrl: string): Promise<number> {
  const text = await (await fetch(internalUrl + 'metrics')).text();
  const m = /^sigsum_log_storage_errors_total\{operation="appendLeaves"[^}]*\} (\d+)$/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

describe('full disk under a running log (real tmpfs)', () => {
  const tmp = tempDir('sigsum-log-full-disk-');
  const disk = mountSmallDisk(join(tmp.dir, 'data'), 8 * 1024 * 1024);
  afterAll(() => {
    disk.unmount();
    tmp.cleanup();
  });

  it('backs off with one log line per change of state, counts every failure, and loses no acknowledged leaf', async () => {
    const config = initLog(tmp.dir, { intervalMs: 500, integrateIntervalMs: 10, addLeafWaitMs: 0 });
    const [before, during] = [await makeSubmissions(5, 'before-full'), await makeSubmissions(20, 'while-full')];
    const log = await startLogProcess(config);
    try {
      for (const s of before) await submitUntilSequenced(log.url, s.body, 20);

      disk.fill();
      const mark = log.output().length;
      for (const s of during) expect((await fetch(log.url + 'add-leaf', { method: 'POST', body: s.body })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 3000));

      // Still failing: nothing integrated, every leaf still pending.
      const health = await (await fetch(log.internalUrl + 'health')).text();
      expect(health).toContain('tree_size=5\n');
      expect(health).toContain('pending=20\n');
      // Every failure counted, but attempts back off (every 10 ms would be ~300).
      const failures = await appendFailures(log.internalUrl);
      expect(failures).toBeGreaterThanOrEqual(3);
      expect(failures).toBeLessThan(50);
      // One error line when integration started failing, not one per attempt.
      const failing = lines(log.output().slice(mark));
      const integrationErrors = failing.filter((l) => l.msg === 'integrating leaves failed');
      expect(integrationErrors).toHaveLength(1);
      expect(integrationErrors[0]!.level).toBe(50);
      expect(integrationErrors[0]!.err).toMatch(/full|disk|space/i);
      expect(failing.filter((l) => l.level >= 50).length).toBeLessThanOrEqual(2); // plus at most one for publishing

      // Space back: every leaf is sequenced, and one line reports the recovery.
      disk.free();
      for (const s of during) await submitUntilSequenced(log.url, s.body, 50);
      let recovered: Line[] = [];
      for (let i = 0; i < 100 && recovered.length === 0; i++) {
        recovered = lines(log.output().slice(mark)).filter((l) => l.msg === 'integrating leaves works again');
        if (recovered.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(recovered).toHaveLength(1);
      expect(recovered[0]!.failures).toBeGreaterThanOrEqual(3);
      expect(recovered[0]!.suppressed).toBe(recovered[0]!.failures! - 1);
      expect(recovered[0]!.failingMs).toBeGreaterThanOrEqual(3000);

      // No acknowledged leaf lost: all 25 are in the published tree.
      let head = '';
      for (let i = 0; i < 100 && !head.startsWith('size=25\n'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        head = (await get(log.url + 'get-tree-head')).text;
      }
      expect(head).toMatch(/^size=25\n/);
      for (const s of [...before, ...during]) {
        expect((await get(`${log.url}get-inclusion-proof/25/${toHex(s.leafHash)}`)).status).toBe(200);
      }
    } finally {
      await log.stop();
    }
  });
});
