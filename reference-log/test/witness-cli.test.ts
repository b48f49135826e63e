// `sigsum-log witness` as a real process (built dist/): key files on disk,
// log keys given three ways, state in a SQLite file that survives a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatOpenSshPublicKey, toHex } from '@sigsum-kit/sdk';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { TestLog, tempDir } from './witness-fixtures.js';

const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');

interface Proc {
  proc: ChildProcess;
  url: string;
  output: () => string;
}

/** Start the witness and wait for its "listening" line. */
function startCli(args: string[]): Promise<Proc> {
  const proc = spawn(process.execPath, [CLI, 'witness', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`witness did not start: ${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /witness listening on (http:\/\/\S+) /.exec(out);
      // With --metrics-listen, wait for that line too.
      if (m && (!args.includes('--metrics-listen') || out.includes('witness metrics at'))) {
        clearTimeout(timer);
        res({ proc, url: m[1]!, output: () => out });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`witness exited with ${code}: ${out}`));
    });
  });
}

function stop(p: Proc): Promise<number | null> {
  return new Promise((res) => {
    p.proc.removeAllListeners('exit');
    p.proc.on('exit', (code) => res(code));
    p.proc.kill('SIGTERM');
  });
}

async function post(url: string, body: string): Promise<[number, string]> {
  const r = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return [r.status, await r.text()];
}

describe('sigsum-log witness (process)', () => {
  const tmp = tempDir('sigsum-witness-cli-');
  const logHex = new TestLog('cli-log-hex');
  const logFile = new TestLog('cli-log-file');
  const logLine = new TestLog('cli-log-line');
  const stranger = new TestLog('cli-log-stranger');
  const keyPath = join(tmp.dir, 'witness.key');
  const logKeyFile = join(tmp.dir, 'log.pub');
  const db = join(tmp.dir, 'state.db');
  let args: string[];

  beforeAll(async () => {
    await generateKeyFiles(keyPath);
    writeFileSync(logKeyFile, formatOpenSshPublicKey(logFile.publicKey));
    args = [
      '--key-file', keyPath,
      '--state-db', db,
      '--log-key', toHex(logHex.publicKey),
      '--log-key', logKeyFile,
      '--log-key', formatOpenSshPublicKey(logLine.publicKey).trim(),
      '--listen', '127.0.0.1:0',
      '--url-prefix', 'witness/',
      '--metrics-listen', '127.0.0.1:0',
    ];
  });
  afterAll(() => tmp.cleanup());

  it('cosigns for every configured log, stops on SIGTERM and keeps its state', async () => {
    const w = await startCli(args);
    expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/witness$/);
    for (const l of [logHex, logFile, logLine]) {
      const [status, text] = await post(w.url, await l.body(0, 4));
      expect(status).toBe(200);
      expect(text).toMatch(/^\u2014 sigsum\.org\/v1\/witness\/[0-9a-f]{64} \S+\n$/);
    }
    expect(await post(w.url, await stranger.body(0, 4))).toEqual([404, `unknown origin "${stranger.origin}"\n`]);
    const metricsUrl = /witness metrics at (http:\/\/\S+)\n/.exec(w.output())?.[1];
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(await (await fetch(metricsUrl!)).text()).toMatch(/^sigsum_http_responses_total\{endpoint="\/witness\/add-checkpoint",method="POST",status="200",role="witness"\} 3$/m);
    expect(await stop(w)).toBe(0);

    const again = await startCli(args);
    expect(await post(again.url, await logHex.body(0, 6))).toEqual([409, '4\n']);
    expect((await post(again.url, await logHex.body(4, 6)))[0]).toBe(200);
    expect(await stop(again)).toBe(0);
  });

  const bad: { name: string; args: (a: string[]) => string[]; message: RegExp }[] = [
    { name: 'no key file', args: (a) => a.slice(2), message: /required option '-k, --key-file <file>' not specified/ },
    { name: 'a missing key file', args: (a) => ['--key-file', join(tmp.dir, 'nope'), ...a.slice(2)], message: /nope/ },
    { name: 'a bad log key', args: (a) => [...a, '--log-key', 'ssh-ed25519 AAAA'], message: /--log-key/ },
    { name: 'no log key', args: () => ['--key-file', keyPath, '--state-db', db], message: /at least one --log-key is required/ },
    { name: 'a bad listen address', args: (a) => [...a, '--listen', 'localhost'], message: /invalid listen address "localhost"/ },
    { name: 'a bad metrics address', args: (a) => [...a, '--metrics-listen', '127.0.0.1:99999'], message: /--metrics-listen: invalid listen address "127.0.0.1:99999"/ },
    { name: 'a zero sign timeout', args: (a) => [...a, '--sign-timeout', '0'], message: /^sigsum-log: --sign-timeout: expected a positive integer, got "0"\n$/ },
  ];
  for (const b of bad) {
    it(`exits non-zero with a message for ${b.name}`, () => {
      const r = spawnSync(process.execPath, [CLI, 'witness', ...b.args(args)], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(b.message);
    });
  }
});
