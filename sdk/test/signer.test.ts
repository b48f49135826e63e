/**
 * The three signers — in memory, from an OpenSSH private key file, and
 * through ssh-agent — are interchangeable: Ed25519 is deterministic, so the
 * same key must give byte-identical signatures whichever way it is reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedSigner, parseOpenSshPrivateKey, parseOpenSshPublicKey, signLeaf, verifyLeafMessage, sha256, utf8 } from '@sigsum-kit/sdk';
import { SshAgentSigner, loadSigner } from '@sigsum-kit/sdk/node';

let dir: string;
let agent: ChildProcess;
let sock: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signer-test-'));
  sock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', join(dir, 'k')]);
  execFileSync('ssh-add', ['-q', join(dir, 'k')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
}, 120_000);
afterAll(() => {
  agent?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('signers', () => {
  it('memory, key file and ssh-agent give identical signatures for one key', async () => {
    const seed = parseOpenSshPrivateKey(readFileSync(join(dir, 'k'), 'utf8')).seed;
    const pub = parseOpenSshPublicKey(readFileSync(join(dir, 'k.pub'), 'utf8').trim()).publicKey;
    const memory = new SeedSigner(seed);
    const file = await loadSigner(join(dir, 'k'));
    const viaAgent = await loadSigner(join(dir, 'k.pub'), { socketPath: sock });
    expect(viaAgent).toBeInstanceOf(SshAgentSigner);
    for (const s of [memory, file, viaAgent]) expect(s.publicKey).toEqual(pub);
    const message = sha256(utf8('leaf message'));
    const sigs = await Promise.all([memory, file, viaAgent].map((s) => signLeaf(s, message)));
    expect(sigs[1]).toEqual(sigs[0]);
    expect(sigs[2]).toEqual(sigs[0]);
    expect(await verifyLeafMessage(pub, message, sigs[2]!)).toBe(true);
  });

  it('the agent signer handles concurrent requests', async () => {
    const viaAgent = await loadSigner(join(dir, 'k.pub'), { socketPath: sock });
    const msgs = Array.from({ length: 20 }, (_, i) => utf8(`message ${i}`));
    const sigs = await Promise.all(msgs.map((m) => viaAgent.sign(m)));
    const memory = new SeedSigner(parseOpenSshPrivateKey(readFileSync(join(dir, 'k'), 'utf8')).seed);
    for (let i = 0; i < msgs.length; i++) expect(sigs[i]).toEqual(await memory.sign(msgs[i]!));
  });
});
