// Files holding secrets: written owner-only, and a node refuses to start when
// one is open to group or others (as OpenSSH refuses an unprotected key).
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, initLog, runToExit, tempDir } from './log-helpers.js';
import { spawnSync } from 'node:child_process';

describe('secret-holding files', () => {
  const tmp = tempDir('sigsum-log-secrets-');
  afterAll(() => tmp.cleanup());

  it('init writes config.json (where the replication token goes) and the key 0600', () => {
    const dir = join(tmp.dir, 'modes');
    initLog(dir);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'log.key')).mode & 0o777).toBe(0o600);
  });

  it('primary and secondary refuse a config holding the replication token that others can read', () => {
    const dir = join(tmp.dir, 'token');
    const config = initLog(dir, { replicationToken: 'sekrit-token-123' });
    chmodSync(config, 0o640);
    for (const command of ['primary', 'secondary']) {
      const r = runToExit([command, '-c', config, ...(command === 'secondary' ? ['--primary-url', 'http://127.0.0.1:1/'] : [])]);
      expect([r.status, r.stderr]).toEqual([
        1,
        `sigsum-log: ${config} holds the replication token but its mode is 0640 (group or others have access); refusing to start: check who may have read it, then run chmod 600 ${config}\n`,
      ]);
      expect(r.stdout + r.stderr).not.toContain('sekrit-token-123');
    }
  });

  it('primary refuses a private key file that others can read', () => {
    const dir = join(tmp.dir, 'key');
    const config = initLog(dir);
    const key = join(dir, 'log.key');
    chmodSync(key, 0o644);
    const r = runToExit(['primary', '-c', config]);
    expect([r.status, r.stderr]).toEqual([
      1,
      `sigsum-log: ${key} holds a private key but its mode is 0644 (group or others have access); refusing to start: check who may have read it, then run chmod 600 ${key}\n`,
    ]);
  });

  it('the witness refuses a private key file that others can read', () => {
    const dir = join(tmp.dir, 'witness');
    initLog(dir);
    const key = join(dir, 'witness.key');
    writeFileSync(key, readFileSync(join(dir, 'log.key')), { mode: 0o604 });
    chmodSync(key, 0o604);
    const r = spawnSync(process.execPath, [CLI, 'witness', '-k', key, '--state-db', join(dir, 'w.db'), '--log-key', '00'.repeat(32)], { encoding: 'utf8', timeout: 20_000 });
    expect([r.status, r.stderr]).toEqual([
      1,
      `sigsum-log: ${key} holds a private key but its mode is 0604 (group or others have access); refusing to start: check who may have read it, then run chmod 600 ${key}\n`,
    ]);
  });
});
