// `sigsum-log witness` as a real process logs like the log: a start-up line,
// refusals at warn with the reason, state database failures (a real full
// disk: its state on a small tmpfs) at error, and never its key.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { keyHash, toHex } from '@sigsum-kit/sdk';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { TestLog, tempDir } from './witness-fixtures.js';
import { mountSmallDisk } from './full-disk.js';

const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

async function post(url: string, body: string): Promise<[number, string]> {
  const r = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return [r.status, await r.text()];
}

describe('sigsum-log witness logging (process)', () => {
  const tmp = tempDir('sigsum-witness-logs-');
  const disk = mountSmallDisk(join(tmp.dir, 'state'), 2 * 1024 * 1024);
  afterAll(() => {
    disk.unmount();
    tmp.cleanup();
  });

  it('logs start-up, refusals at warn and a full state disk at error, never the key', async () => {
    const log = new TestLog('witness-logs');
    const keyPath = join(tmp.dir, 'witness.key');
    const key = await generateKeyFiles(keyPath);
    const args = ['witness', '--key-file', keyPath, '--state-db', join(disk.dir, 'state.db'), '--log-key', toHex(log.publicKey), '--listen', '127.0.0.1:0'];
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
    const json = (): Line[] =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line);
    // Lines reach the pipe asynchronously: wait until `n` lines with `msg` are there.
    const linesWith = async (msg: string, n = 1): Promise<Line[]> => {
      for (let i = 0; i < 400 && json().filter((l) => l.msg === msg).length < n; i++) await new Promise((r) => setTimeout(r, 50));
      return json().filter((l) => l.msg === msg);
    };
    try {
      const [started] = await linesWith('witness started');
      expect(started).toMatchObject({ level: 30, keyHash: toHex(keyHash(key.publicKey)), origins: [log.origin] });
      const url = started!.url as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      expect(await post(url, 'hello')).toEqual([400, expect.stringMatching(/\n$/)]);
      const [, refusalText] = await post(url, 'hello');
      const refusals = await linesWith('add-checkpoint refused', 2);
      expect(refusals.length).toBe(2);
      expect(refusals[0]).toMatchObject({ level: 40, status: 400, reason: refusalText.trimEnd() });

      expect((await post(url, await log.body(0, 4)))[0]).toBe(200);
      disk.fill();
      expect(await post(url, await log.body(4, 8))).toEqual([500, 'internal error\n']);
      const failures = await linesWith('witness state database failed');
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ level: 50, err: expect.stringMatching(/full|space/i) });

      disk.free();
      expect((await post(url, await log.body(4, 8)))[0]).toBe(200);

      // The private key's base64 body never appears in the output.
      const secret = readFileSync(keyPath, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
      for (const l of secret) expect(out).not.toContain(l);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });
});
