import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64, verify, SeedSigner, concatBytes, sshPublicKeyBlob } from '@sigsum-kit/sdk';
import { SshAgentClient, SshAgentSigner } from '@sigsum-kit/sdk/node';

let dir: string;
let agent: ChildProcess;
let sock: string;

function rawPublicKey(pubFile: string): Uint8Array {
  const blob = fromBase64(readFileSync(pubFile, 'utf8').trim().split(' ')[1]!);
  return blob.subarray(blob.length - 32);
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 50));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-test-'));
  sock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  await waitFor(sock);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-C', 'loaded key', '-f', join(dir, 'loaded')]);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', join(dir, 'other')]);
  execFileSync('ssh-add', ['-q', join(dir, 'loaded')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
}, 120_000);

afterAll(() => {
  agent?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A scripted broken agent: answers every request with `reply` (a full frame). */
async function fakeAgent(reply: Uint8Array): Promise<{ path: string; server: Server }> {
  const path = join(dir, `fake-${Math.random().toString(16).slice(2)}.sock`);
  const server = createServer((c) => {
    c.once('data', () => c.end(reply));
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server };
}

function frame(...parts: Uint8Array[]): Uint8Array {
  const body = concatBytes(...parts);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, body.length);
  return concatBytes(len, body);
}

describe('ssh-agent', () => {
  it('lists the key added with ssh-add and signs through the real agent', async () => {
    const pub = rawPublicKey(join(dir, 'loaded.pub'));
    const ids = await new SshAgentClient({ socketPath: sock }).listIdentities();
    expect(ids).toHaveLength(1);
    expect(ids[0]!.comment).toBe('loaded key');
    expect(ids[0]!.ed25519).toEqual(pub);
    expect(ids[0]!.blob).toEqual(sshPublicKeyBlob(pub));

    const signer = await SshAgentSigner.connect(pub, { socketPath: sock });
    const msg = new TextEncoder().encode('sigsum.org/v1/tree-leaf\0' + 'x'.repeat(32));
    const sig = await signer.sign(msg);
    expect(sig).toHaveLength(64);
    expect(await verify(pub, msg, sig)).toBe(true);
    expect(await verify(pub, concatBytes(msg, new Uint8Array([0])), sig)).toBe(false);
  });

  it('rejects a key the agent does not hold', async () => {
    const pub = rawPublicKey(join(dir, 'other.pub'));
    await expect(SshAgentSigner.connect(pub, { socketPath: sock })).rejects.toMatchObject({
      code: 'agent.no-key',
      message: `${sock}: the agent does not hold this key`,
    });
  });

  it('reports a signing refusal from the real agent', async () => {
    const pub = rawPublicKey(join(dir, 'other.pub'));
    const signer = new SshAgentSigner(pub, new SshAgentClient({ socketPath: sock }));
    await expect(signer.sign(new Uint8Array(3))).rejects.toMatchObject({ code: 'agent.failure' });
  });

  it('needs a socket', () => {
    const saved = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      expect(() => new SshAgentClient()).toThrow('SSH_AUTH_SOCK is not set; no ssh-agent to reach');
    } finally {
      if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    }
  });

  it('reports an unreachable socket', async () => {
    await expect(new SshAgentClient({ socketPath: join(dir, 'nope.sock') }).listIdentities()).rejects.toMatchObject({ code: 'agent.connect' });
  });

  it.each<[Uint8Array, string, string]>([
    [new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'agent.size', 'agent reply: reply length 4294967295 outside 1..262144'],
    [frame(new Uint8Array([12, 0, 0, 0, 9])), 'agent.count', 'identities answer: identity count 9 exceeds reply'],
    [frame(new Uint8Array([12, 0, 0, 0, 1, 0, 0, 0, 50])), 'agent.truncated', 'identities answer: string of 50 bytes exceeds reply'],
    [frame(new Uint8Array([99])), 'agent.type', 'identities answer: unexpected reply type 99'],
    [frame(new Uint8Array([5])), 'agent.failure', 'agent refused to list identities'],
    [frame(new Uint8Array([12, 0, 0, 0, 0, 7])), 'agent.trailing', 'identities answer: 1 trailing bytes'],
    [concatBytes(frame(new Uint8Array([12, 0, 0, 0, 0])), new Uint8Array([1])), 'agent.trailing', 'agent reply: agent sent more than one reply'],
  ])('rejects malformed reply %# (%s) with %s', async (reply, code, message) => {
    const { path, server } = await fakeAgent(reply);
    try {
      await expect(new SshAgentClient({ socketPath: path }).listIdentities()).rejects.toMatchObject({ code, message });
    } finally {
      server.close();
    }
  });

  it('rejects a signature that does not verify or has the wrong format', async () => {
    const s = SeedSigner.generate();
    const str = (b: Uint8Array) => frame(b).subarray(0); // same framing as an SSH string
    const enc = new TextEncoder();
    const sigBlob = (fmt: string, sig: Uint8Array) => concatBytes(str(enc.encode(fmt)), str(sig));
    const good = await s.sign(new Uint8Array([1]));
    const cases: [Uint8Array, string][] = [
      [frame(new Uint8Array([14]), str(sigBlob('ssh-ed25519', new Uint8Array(64)))), 'signature: the agent returned an invalid signature'],
      [frame(new Uint8Array([14]), str(sigBlob('ssh-rsa', good))), 'signature: signature format "ssh-rsa", want ssh-ed25519'],
      [frame(new Uint8Array([14]), str(sigBlob('ssh-ed25519', good.subarray(1)))), 'signature: signature is 63 bytes, want 64'],
    ];
    for (const [reply, message] of cases) {
      const { path, server } = await fakeAgent(reply);
      try {
        const signer = new SshAgentSigner(s.publicKey, new SshAgentClient({ socketPath: path }));
        await expect(signer.sign(new Uint8Array([1]))).rejects.toThrow(message);
      } finally {
        server.close();
      }
    }
    // The same scaffolding with a valid signature passes, so the cases above fail for their stated reason.
    const { path, server } = await fakeAgent(frame(new Uint8Array([14]), str(sigBlob('ssh-ed25519', good))));
    try {
      expect(await new SshAgentSigner(s.publicKey, new SshAgentClient({ socketPath: path })).sign(new Uint8Array([1]))).toEqual(good);
    } finally {
      server.close();
    }
  });
});
