// The systemd units in deploy/systemd pass `systemd-analyze verify` without a
// single warning and keep the hardening an operator relies on.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const unitsDir = fileURLToPath(new URL('../../deploy/systemd/', import.meta.url));
const units = readdirSync(unitsDir).filter((f) => f.endsWith('.service')).sort();

/** `systemd-analyze verify` of unit files; warnings (unknown keys, bad values) count as failures. */
function verify(paths: string[]): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...paths], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { status: r.status, output: (r.stdout + r.stderr).trim() };
}

/** The [Service] settings of a unit as key → values. */
function serviceSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

describe('deploy/systemd units', () => {
  it('has the primary, secondary and witness units', () => {
    expect(units).toEqual(['sigsum-log-primary.service', 'sigsum-log-secondary.service', 'sigsum-witness.service']);
  });

  it('systemd-analyze verify accepts every unit without a warning', () => {
    const r = verify(units.map((u) => join(unitsDir, u)));
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('systemd-analyze verify reports a misspelt setting (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    try {
      const text = readFileSync(join(unitsDir, 'sigsum-witness.service'), 'utf8').replace('ProtectSystem=strict', 'ProtectSystm=strict');
      writeFileSync(join(dir, 'sigsum-witness.service'), text);
      expect(verify([join(dir, 'sigsum-witness.service')]).output).toContain("Unknown key 'ProtectSystm'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const unit of units) {
    it(`${unit} is hardened: own user, read-only system but its data dir, no privileges, restart policy`, () => {
      const s = serviceSettings(readFileSync(join(unitsDir, unit), 'utf8'));
      const one = (k: string) => s.get(k)?.at(-1);
      expect(one('User')).toMatch(/^sigsum-/);
      expect(one('Group')).toBe(one('User'));
      expect(one('ProtectSystem')).toBe('strict');
      const dataDir = `/var/lib/${one('StateDirectory')}`;
      expect(s.get('ReadWritePaths')).toEqual([dataDir]);
      expect(one('WorkingDirectory')).toBe(dataDir);
      expect(one('ExecStart')).toContain(dataDir + '/');
      expect(one('NoNewPrivileges')).toBe('yes');
      expect(one('PrivateTmp')).toBe('yes');
      expect(one('ProtectHome')).toBe('yes');
      expect(one('CapabilityBoundingSet')).toBe('');
      expect(one('AmbientCapabilities')).toBe('');
      expect(one('Restart')).toBe('on-failure');
      expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
      expect(one('UMask')).toBe('0077');
      expect(s.has('MemoryDenyWriteExecute')).toBe(false); // the V8 JIT would crash
    });
  }
});
