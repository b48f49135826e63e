/**
 * `sigsum verify` gives sigsum-go's `sigsum-verify` verdict on every proof
 * vector (proofs.json: key file, policy, proof, data): all cases through the
 * command's logic in process, and a sample of each stage through the built
 * CLI as a real process; and `sigsum key` reproduces `sigsum-key`'s outputs
 * (keys.json) and `sigsum token` reproduces `sigsum-token`'s (tokens.json)
 * byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromHex, parsePolicy, sha256 } from '@sigsum-kit/sdk';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import { verifyInputs } from '../src/cli/verify.js';
import { CliError } from '../src/cli/util.js';
import type { ProofVector as ProofCase } from '@sigsum-kit/test-vectors';

// Real processes on a shared 2-core machine: allow for slow starts under load.
vi.setConfig({ testTimeout: 120_000 });

const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');
let cases: ProofCase[];
let dir: string;

beforeAll(async () => {
  cases = (await loadSigsumVectors('proofs')).cases;
  dir = mkdtempSync(join(tmpdir(), 'sigsum-cli-vectors-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sigsum verify on the sigsum-go proof vectors', () => {
  it('gives the Go verdict on every case', async () => {
    expect(cases.length).toBe(528);
    const wrong: string[] = [];
    for (const c of cases) {
      let verdict: 'valid' | 'invalid' = 'valid';
      let why = '';
      try {
        await verifyInputs({
          keysText: c.key_file,
          keysWhere: 'key file',
          policyFromKeys: false,
          resolvePolicy: () => Promise.resolve(parsePolicy(c.policy)),
          proof: new TextEncoder().encode(c.proof),
          proofWhere: 'proof',
          message: sha256(fromHex(c.data)),
        });
      } catch (e) {
        verdict = 'invalid';
        why = (e as Error).message;
        // Every refusal is a deliberate, typed one.
        if (!(e instanceof CliError) && !(e instanceof Error && 'code' in e)) wrong.push(`${c.name}: untyped error ${why}`);
      }
      if (verdict !== c.expect) wrong.push(`${c.name}: expected ${c.expect}${c.go_error ? ` (${c.go_error})` : ''}, got ${verdict} ${why}`);
    }
    expect(wrong).toEqual([]);
  });

  it('the built CLI agrees on a sample of each stage', () => {
    if (!existsSync(CLI)) throw new Error('build first: npx tsc -b');
    const byStage = new Map<string, ProofCase[]>();
    for (const c of cases) {
      const k = `${c.expect}:${c.stage ?? ''}`;
      byStage.set(k, [...(byStage.get(k) ?? []), c]);
    }
    expect([...byStage.keys()].sort()).toEqual(['invalid:key-file', 'invalid:policy-parse', 'invalid:proof-parse', 'invalid:verify', 'valid:']);
    for (const [stage, list] of byStage) {
      for (const c of [list[0]!, list[Math.floor(list.length / 2)]!, list.at(-1)!]) {
        writeFileSync(join(dir, 'keys'), c.key_file);
        writeFileSync(join(dir, 'policy'), c.policy);
        writeFileSync(join(dir, 'proof'), c.proof);
        const r = spawnSync(process.execPath, [CLI, 'verify', '-k', 'keys', '-p', 'policy', 'proof'], { cwd: dir, input: Buffer.from(c.data, 'hex'), encoding: 'utf8' });
        expect(r.status === 0 ? 'valid' : 'invalid', `${stage} ${c.name}: ${r.stderr}`).toBe(c.expect);
        if (c.expect === 'invalid') expect(r.stderr).toMatch(/^sigsum: .+\n$/);
        else expect(r.stderr).toBe('');
      }
    }
  });
});

interface KeyVector {
  name: string;
  openssh_private_key: string;
  openssh_public_key: string;
  to_hex_output: string;
  to_hash_output: string;
  vkey_ed25519: string;
  vkey_cosignature_name: string;
  vkey_cosignature: string;
  sign_message: string;
  sign_namespace: string;
  sign_namespace_output: string;
  sign_no_namespace_output: string;
}

describe('sigsum key on the sigsum-key vectors', () => {
  it('to-hex, to-hash, to-vkey, from-vkey, from-hex and sign match sigsum-go byte for byte', async () => {
    const keys = ((await loadSigsumVectors('keys')) as { keys: KeyVector[] }).keys;
    expect(keys.length).toBeGreaterThan(0);
    const run = (args: string[], input?: string | Uint8Array): string => {
      const r = spawnSync(process.execPath, [CLI, 'key', ...args], { cwd: dir, input: input ?? '', encoding: 'utf8' });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    for (const k of keys.slice(0, 3)) {
      writeFileSync(join(dir, 'k'), k.openssh_private_key, { mode: 0o600 });
      writeFileSync(join(dir, 'k.pub'), k.openssh_public_key);
      expect(run(['to-hex', '-k', 'k.pub'])).toBe(k.to_hex_output);
      expect(run(['to-hash', '-k', 'k.pub'])).toBe(k.to_hash_output);
      expect(run(['to-vkey', '-k', 'k.pub'])).toBe(k.vkey_ed25519 + '\n');
      expect(run(['to-vkey', '-k', 'k.pub', '-t', 'cosignature/v1', '-n', k.vkey_cosignature_name])).toBe(k.vkey_cosignature + '\n');
      expect(run(['from-vkey'], k.vkey_cosignature + '\n')).toBe(run(['from-hex'], k.to_hex_output));
      expect(run(['sign', '-k', 'k', '-n', k.sign_namespace], Buffer.from(k.sign_message, 'hex'))).toBe(k.sign_namespace_output);
      expect(run(['sign', '-k', 'k'], Buffer.from(k.sign_message, 'hex'))).toBe(k.sign_no_namespace_output);
    }
  });
});

interface TokenVector {
  name: string;
  rate_limit_key: { seed: string };
  log_key: { seed: string };
  domain: string;
  sigsum_token_create_output: string;
  sigsum_token_create_domain_output: string;
  sigsum_token_record_output: string;
}

describe('sigsum token on the sigsum-token vectors', () => {
  it('record and create match sigsum-go byte for byte, and verify accepts them', async () => {
    const cases = ((await loadSigsumVectors('tokens')) as { cases: TokenVector[] }).cases;
    expect(cases.length).toBeGreaterThan(0);
    const run = (args: string[], input = ''): string => {
      const r = spawnSync(process.execPath, [CLI, 'token', ...args], { cwd: dir, input, encoding: 'utf8' });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    for (const c of cases) {
      await generateKeyFiles(join(dir, 'rate.key'), fromHex(c.rate_limit_key.seed));
      await generateKeyFiles(join(dir, 'log.key'), fromHex(c.log_key.seed));
      expect(run(['record', '-k', 'rate.key.pub'])).toBe(c.sigsum_token_record_output);
      expect(run(['create', '-k', 'rate.key', '-l', 'log.key.pub'])).toBe(c.sigsum_token_create_output);
      expect(run(['create', '-k', 'rate.key', '-l', 'log.key.pub', '-d', c.domain])).toBe(c.sigsum_token_create_domain_output);
      expect(run(['verify', '-k', 'rate.key.pub', '-l', 'log.key.pub'], c.sigsum_token_create_output)).toBe('');
    }
  });
});
