/**
 * The `sigsum-log` command as a user runs it: init, status, help, config
 * errors, prefix/CORS/memory options, graceful SIGTERM, and the start-up
 * refusal of a database that would roll back the published head.
 */
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { keyHash, parseOpenSshPublicKey, parsePrivateKeyFile, toHex } from '@sigsum-kit/sdk';
import { get, initLog, makeSubmissions, runToExit, startLogProcess, submitUntilSequenced, tempDir } from './log-helpers.js';

const tmp = tempDir('sigsum-log-cli-');
const SIGSUM_CLI = resolve(import.meta.dirname, '../../sdk/dist/cli/main.js');
afterAll(() => tmp.cleanup());

describe('sigsum-log CLI', () => {
  it('init writes a 0600 OpenSSH key, a valid config and refuses to overwrite', () => {
    const dir = join(tmp.dir, 'init');
    const r = runToExit(['init', '--dir', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/key hash: {4}[0-9a-f]{64}\n/);
    expect(statSync(join(dir, 'log.key')).mode & 0o777).toBe(0o600);
    const key = parsePrivateKeyFile(readFileSync(join(dir, 'log.key'), 'utf8'));
    expect(key.kind).toBe('private');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ keyFile: 'log.key', storage: 'sqlite', maxRange: 512, intervalMs: 10_000, witnessRequestsPerDay: 8640, addLeafWaitMs: 0 });
    const again = runToExit(['init', '--dir', dir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`sigsum-log: ${join(dir, 'config.json')} already exists; refusing to overwrite\n`);
    const status = runToExit(['status', '-c', join(dir, 'config.json')]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('startup_mode=empty\ntree_size=0\npublished_size=\n');
  });

  it('witness-info prints the origin, vkey, key hash and request rate witnesses expect; a too-fast interval is refused', () => {
    const dir = join(tmp.dir, 'witness-info');
    const config = initLog(dir, { intervalMs: 10_000, witnessRequestsPerDay: 8640 });
    const pub = parseOpenSshPublicKey(readFileSync(join(dir, 'log.key.pub'), 'utf8').trim()).publicKey;
    const hash = toHex(keyHash(pub));
    const r = runToExit(['witness-info', '-c', config]);
    expect(r.status).toBe(0);
    const vkey = execFileSync(process.execPath, [SIGSUM_CLI, 'key', 'to-vkey', '-k', join(dir, 'log.key.pub')], { encoding: 'utf8' }).trim();
    expect(vkey.startsWith(`sigsum.org/v1/tree/${hash}+`)).toBe(true);
    expect(r.stdout).toBe(
      `origin=sigsum.org/v1/tree/${hash}\nvkey=${vkey}\nlog_key_hash=${hash}\ninterval_ms=10000\nrequests_per_day=8640\npromised_requests_per_day=8640\n`,
    );
    // The same log with witnesses and a 1 s interval breaks the 8640-a-day promise: it does not start.
    writeFileSync(join(dir, 'policy'), `log ${toHex(pub)}\nquorum none\n`);
    const c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...c, policyFile: 'policy', intervalMs: 1000 }));
    const refused = runToExit(['primary', '-c', config]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      'sigsum-log: intervalMs: 1000 ms means up to 86400 add-checkpoint requests per witness per day, more than witnessRequestsPerDay (8640); set intervalMs to at least 10000 or promise witnesses a higher rate\n',
    );
  });

  it('--help lists every command', () => {
    const r = runToExit(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['init', 'primary', 'status', 'witness', 'witness-info']) expect(r.stdout).toContain(`  ${c}`);
  });

  it('rejects a bad configuration with a message naming the key', () => {
    const dir = join(tmp.dir, 'badconfig');
    const config = initLog(dir, { maxRange: 0 });
    const r = runToExit(['primary', '-c', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('sigsum-log: maxRange: expected an integer in 1..65536, got 0\n');
    writeFileSync(config, JSON.stringify({ keyFile: 'log.key', intervalMS: 5 }));
    expect(runToExit(['primary', '-c', config]).stderr).toBe('sigsum-log: unknown key "intervalMS"\n');
  });

  it('serves under a prefix with CORS, and runs on memory storage', async () => {
    const dir = join(tmp.dir, 'prefix');
    const config = initLog(dir, { prefix: '/sigsum/v1', corsOrigins: ['*'], storage: 'memory' });
    const log = await startLogProcess(config);
    try {
      expect(log.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sigsum\/v1\/$/);
      const r = await get(log.url + 'get-tree-head');
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      const pre = await fetch(log.url + 'add-leaf', { method: 'OPTIONS', headers: { origin: 'http://example.org', 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
      expect((await get(new URL('/get-tree-head', log.url).href)).status).toBe(404);
      expect((await get(log.internalUrl + 'health')).text).toContain('storage=memory\n');
    } finally {
      await log.stop();
    }
  });

  it('keeps serving 503 without a head while the witness quorum fails, and says why', async () => {
    const dir = join(tmp.dir, 'noquorum');
    // No publish tick (it would integrate the queued leaf) after the first attempt at start-up, which fails the quorum.
    const config = initLog(dir, { intervalMs: 600_000, witnessTimeoutMs: 200, addLeafWaitMs: 0, maxPending: 1, integrateIntervalMs: 60_000 });
    const logKey = parseOpenSshPublicKey(readFileSync(join(dir, 'log.key.pub'), 'utf8').trim()).publicKey;
    // A witness nobody runs: port 1 on loopback refuses connections.
    writeFileSync(join(dir, 'policy'), `log ${toHex(logKey)}\nwitness w1 ${'11'.repeat(32)} http://127.0.0.1:1\nquorum w1\n`);
    const c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...c, policyFile: 'policy' }));
    const log = await startLogProcess(config);
    try {
      const r = await get(log.url + 'get-tree-head');
      expect(r.status).toBe(503);
      expect(r.text).toBe('no tree head has been published yet\n');
      expect((await get(log.url + 'get-leaves/0/1')).text).toBe('the tree is empty\n');
      const [a, b] = await makeSubmissions(2, 'busy');
      const answers = await Promise.all([a!, b!].map(async (s) => {
        const r = await fetch(log.url + 'add-leaf', { method: 'POST', body: s.body });
        return { status: r.status, text: await r.text() };
      }));
      answers.sort((x, y) => x.status - y.status);
      expect(answers[0]!.status).toBe(202);
      expect(answers[1]).toEqual({ status: 503, text: 'too many leaves are waiting to be sequenced; retry later\n' });
      for (let i = 0; i < 50 && !log.output().includes('witness quorum not met'); i++) await new Promise((res) => setTimeout(res, 50));
      expect(log.output()).toContain('"msg":"witness quorum not met; keeping the previous tree head"');
      expect(log.output()).toMatch(/"failures":\["w1: [^"]+"\]/);
    } finally {
      await log.stop();
    }
  });

  it('refuses to run a database with another log key', async () => {
    const a = join(tmp.dir, 'key-a');
    const b = join(tmp.dir, 'key-b');
    initLog(a);
    const configB = initLog(b);
    const c = JSON.parse(readFileSync(configB, 'utf8')) as Record<string, unknown>;
    writeFileSync(configB, JSON.stringify({ ...c, keyFile: join(a, 'log.key') }));
    const r = runToExit(['primary', '-c', configB]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: storage belongs to log key [0-9a-f]{64}, not [0-9a-f]{64}\n$/);
  });

  it('drains accepted leaves on SIGTERM and refuses a database that would roll back', async () => {
    const dir = join(tmp.dir, 'term');
    const config = initLog(dir, { intervalMs: 60_000, integrateIntervalMs: 60_000 });
    const subs = await makeSubmissions(20, 'sigterm');
    let log = await startLogProcess(config);
    for (const s of subs) expect((await fetch(log.url + 'add-leaf', { method: 'POST', body: s.body })).status).toBe(202);
    const exit = await log.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(runToExit(['status', '-c', config]).stdout).toContain('tree_size=20\n');

    // Restart publishes the drained leaves; every one then answers 200.
    const patched = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...patched, intervalMs: 100, integrateIntervalMs: 10 }));
    log = await startLogProcess(config);
    for (const s of subs) expect(await submitUntilSequenced(log.url, s.body, 20)).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 50 && !(await get(log.url + 'get-tree-head')).text.startsWith('size=20\n'); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await log.stop('SIGTERM')).code).toBe(0);
    expect(runToExit(['status', '-c', config]).stdout).toContain('published_size=20\n');

    // Lose leaves behind the log's back: it must refuse to start rather than roll back.
    const db = new Database(join(dir, 'data', 'log.sqlite'));
    db.prepare('DELETE FROM leaves WHERE idx >= 10').run();
    db.prepare('DELETE FROM nodes').run();
    db.prepare("UPDATE meta SET value = '10' WHERE key = 'tree_size'").run();
    db.close();
    const r = runToExit(['primary', '-c', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('sigsum-log: stored tree has 10 leaves but tree head of size 20 was published\n');
  });
});
