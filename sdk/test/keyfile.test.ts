import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_KEY_FILE_SIZE, SeedSigner, parseOpenSshPublicKey, verify, fromHex } from '@sigsum-kit/sdk';
import {
  atomicWriteFile,
  generateKeyFiles,
  loadSigner,
  loadSigningKey,
  readBoundedFile,
  readBoundedFileSync,
  readPublicKeyFile,
  readPublicKeysFile,
  readTextFile,
  readTextFileSync,
  SshAgentSigner,
} from '@sigsum-kit/sdk/node';

let dir: string;
let agent: ChildProcess;
let sock: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyfile-test-'));
  sock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
}, 120_000);
afterAll(() => {
  agent?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const msg = new TextEncoder().encode('message to sign');

describe('key files', () => {
  it('generates a key pair that ssh-keygen reads, with a 0600 private key', async () => {
    const path = join(dir, 'gen.key');
    const k = await generateKeyFiles(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}.pub`).mode & 0o777).toBe(0o644);
    // ssh-keygen derives the public key from our private key file: same key.
    const derived = execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' });
    expect(parseOpenSshPublicKey(derived.trim()).publicKey).toEqual(k.publicKey);
    expect(readFileSync(`${path}.pub`, 'utf8')).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ sigsum key\n$/);
    expect((await readPublicKeyFile(`${path}.pub`)).publicKey).toEqual(k.publicKey);
    const signer = await loadSigner(path);
    expect(signer.publicKey).toEqual(k.publicKey);
    expect(await verify(k.publicKey, msg, await signer.sign(msg))).toBe(true);
  });

  it('is deterministic for a given seed (besides the random check-int)', async () => {
    const seed = fromHex('11'.repeat(32));
    const k = await generateKeyFiles(join(dir, 'seeded.key'), seed);
    expect(k.publicKey).toEqual(new SeedSigner(seed).publicKey);
  });

  it("reads ssh-keygen's Ed25519 keys and signs like the private key says", async () => {
    const path = join(dir, 'openssh.key');
    execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-C', 'made by ssh-keygen', '-f', path]);
    const pub = await readPublicKeyFile(`${path}.pub`);
    const k = await loadSigningKey(path);
    expect(k.source).toBe('file');
    expect(k.signer.publicKey).toEqual(pub.publicKey);
    const sig = await k.signer.sign(msg);
    expect(await verify(pub.publicKey, msg, sig)).toBe(true);
  });

  it('signs through ssh-agent when the key file is a public key (with its policy name)', async () => {
    const path = join(dir, 'agent.key');
    execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', path]);
    execFileSync('ssh-add', ['-q', path], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    const pubText = readFileSync(`${path}.pub`, 'utf8');
    writeFileSync(join(dir, 'agent-policy.pub'), `sigsum-policy="sigsum-test1-2025" ${pubText}`);
    const k = await loadSigningKey(join(dir, 'agent-policy.pub'), { socketPath: sock });
    expect(k.source).toBe('agent');
    expect(k.policyName).toBe('sigsum-test1-2025');
    expect(k.signer).toBeInstanceOf(SshAgentSigner);
    const pub = parseOpenSshPublicKey(pubText.trim()).publicKey;
    expect(await verify(pub, msg, await k.signer.sign(msg))).toBe(true);
  });

  it('reads a keys file with comments and several keys', async () => {
    const a = await generateKeyFiles(join(dir, 'a.key'));
    const b = await generateKeyFiles(join(dir, 'b.key'));
    const text = `# submitters\n\n${readFileSync(a.publicKeyPath, 'utf8')}${readFileSync(b.publicKeyPath, 'utf8')}`;
    writeFileSync(join(dir, 'keys'), text);
    const keys = await readPublicKeysFile(join(dir, 'keys'));
    expect(keys.map((k) => k.publicKey)).toEqual([a.publicKey, b.publicKey]);
  });

  it('names the file and the problem for bad input', async () => {
    await expect(readPublicKeyFile(join(dir, 'missing.pub'))).rejects.toMatchObject({ code: 'file.read', message: `${join(dir, 'missing.pub')}: no such file` });
    writeFileSync(join(dir, 'rsa.pub'), 'ssh-rsa AAAAB3NzaC1yc2E= x\n');
    await expect(readPublicKeyFile(join(dir, 'rsa.pub'))).rejects.toMatchObject({ code: 'keys.type', where: join(dir, 'rsa.pub') });
    writeFileSync(join(dir, 'garbage.key'), 'not a key\n');
    await expect(loadSigner(join(dir, 'garbage.key'))).rejects.toMatchObject({ where: join(dir, 'garbage.key') });
    writeFileSync(join(dir, 'big'), Buffer.alloc(MAX_KEY_FILE_SIZE + 1));
    await expect(readPublicKeyFile(join(dir, 'big'))).rejects.toMatchObject({
      code: 'file.size',
      message: `${join(dir, 'big')}: file of ${MAX_KEY_FILE_SIZE + 1} bytes exceeds the limit of ${MAX_KEY_FILE_SIZE}`,
    });
    writeFileSync(join(dir, 'latin1.pub'), Buffer.from([0xff, 0xfe]));
    await expect(readPublicKeyFile(join(dir, 'latin1.pub'))).rejects.toMatchObject({ code: 'file.utf8' });
  });

  it('the blocking reader (the CLI\'s) reads and refuses exactly as the asynchronous one', async () => {
    const settle = async <T>(f: () => T | Promise<T>): Promise<{ value?: T; code?: string; message?: string }> => {
      try {
        return { value: await f() };
      } catch (e) {
        const { code, message } = e as { code?: string; message?: string };
        return { code, message };
      }
    };
    const both = async (path: string, max: number) => {
      const a = await settle(() => readBoundedFile(path, max));
      const b = await settle(() => readBoundedFileSync(path, max));
      expect(b).toEqual(a);
      return a;
    };
    const text = join(dir, 'reader.txt');
    writeFileSync(text, 'a'.repeat(70_000)); // more than one 64 KiB read
    expect((await both(text, 1 << 20)).value).toEqual(new Uint8Array(70_000).fill(0x61));
    expect(await both(text, 69_999)).toEqual({ code: 'file.size', message: `${text}: file of 70000 bytes exceeds the limit of 69999` });
    expect(await both(join(dir, 'no-such-file'), 10)).toEqual({ code: 'file.read', message: `${join(dir, 'no-such-file')}: no such file` });
    expect((await both(dir, 1 << 20)).code).toBe('file.read'); // a directory: EISDIR on read
    // A FIFO reports size 0: the limit is enforced on what is read.
    const fifo = join(dir, 'reader.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const read of [(p: string) => readBoundedFile(p, 100), (p: string) => readBoundedFileSync(p, 100)]) {
      const writer = spawn('sh', ['-c', `head -c 5000 /dev/zero > '${fifo}'`]);
      expect(await settle(() => read(fifo))).toEqual({ code: 'file.size', message: `${fifo}: file exceeds the limit of 100 bytes` });
      writer.kill();
    }
    writeFileSync(join(dir, 'reader.bin'), Buffer.from([0xff]));
    expect(await settle(() => readTextFileSync(join(dir, 'reader.bin')))).toEqual(await settle(() => readTextFile(join(dir, 'reader.bin'))));
    expect(readTextFileSync(text, 1 << 20)).toBe('a'.repeat(70_000));
  });

  it('a public key the agent does not hold is refused when loading', async () => {
    const k = await generateKeyFiles(join(dir, 'not-in-agent.key'));
    await expect(loadSigner(k.publicKeyPath, { socketPath: sock })).rejects.toMatchObject({ code: 'agent.no-key' });
  });
});

describe('atomic writes', () => {
  it('replaces the file whole, with the requested mode, leaving no temporary files', async () => {
    const p = join(dir, 'atomic', 'out.txt');
    execFileSync('mkdir', ['-p', join(dir, 'atomic')]);
    await atomicWriteFile(p, 'one\n', 0o600);
    await atomicWriteFile(p, 'two\n', 0o640);
    expect(readFileSync(p, 'utf8')).toBe('two\n');
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(execFileSync('ls', ['-A', join(dir, 'atomic')], { encoding: 'utf8' })).toBe('out.txt\n');
    await expect(atomicWriteFile(join(dir, 'no-such-dir', 'x'), 'x')).rejects.toMatchObject({ code: 'file.write' });
    expect(await readBoundedFile(p)).toEqual(new TextEncoder().encode('two\n'));
  });
});
