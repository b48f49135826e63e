// deploy/nginx/sigsum-log.conf in front of a real log, with a CA made here:
// `nginx -t` accepts it, `sigsum submit` / `sigsum verify` and the SDK's
// clients work over HTTPS with the CA given as NODE_EXTRA_CA_CERTS, and the
// proxy forwards the public endpoints only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../../scripts/ports.mjs';
import { initLog, startLogProcess, type LogProcess } from '../../reference-log/test/log-helpers.js';
import { textAnswer } from '../http-answer.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const deployConf = join(repo, 'deploy', 'nginx', 'sigsum-log.conf');
const sigsumCli = join(repo, 'sdk', 'dist', 'cli', 'main.js');
// Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const work = mkdtempSync(join(tmpdir(), 'sigsum-nginx-'));
const prefix = join(work, 'nginx');
let log: LogProcess;
let nginx: ChildProcess;
let nginxOut = '';
let httpsUrl: string;
let ca: string;

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; cwd?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd ?? work, env: opts.env ?? process.env, input: opts.input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A CA and a server certificate for 127.0.0.1 / localhost, signed by it. */
function makeCertificates(): void {
  ok('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=sigsum-kit test CA', '-keyout', 'ca.key', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign']);
  ok('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(work, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  ok('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
}

/** The deploy file with the settings an operator changes (marked CHANGE) set for this test; fails if one is missing. */
function deployedConf(logAddress: string, port: number): string {
  let text = readFileSync(deployConf, 'utf8');
  const set = (from: string, to: string) => {
    expect(text, `deploy/nginx/sigsum-log.conf should contain "${from}"`).toContain(from);
    text = text.replace(from, to);
  };
  set('server 127.0.0.1:6965;', `server ${logAddress};`);
  set('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`);
  set('server_name log.example.org;', 'server_name 127.0.0.1;');
  set('/etc/ssl/sigsum-log/fullchain.pem', join(work, 'server.pem'));
  set('/etc/ssl/sigsum-log/privkey.pem', join(work, 'server.key'));
  return text;
}

/** A minimal nginx.conf for a non-daemon nginx under `prefix` that includes the site. */
function mainConf(site: string): string {
  const user = process.getuid?.() === 0 ? 'user nobody nogroup;\n' : '';
  return `${user}daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  default_type text/plain;
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  include ${site};
}
`;
}

/** One HTTPS request trusting the test CA only (the test process's own fetch cannot take a CA). */
function httpsRequest(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const u = new URL(path, httpsUrl);
  return textAnswer(request({ host: u.hostname, port: u.port, path: u.pathname, method, ca: readFileSync(ca) }), body);
}

beforeAll(async () => {
  makeCertificates();
  ca = join(work, 'ca.pem');
  const logDir = join(work, 'log');
  mkdirSync(logDir);
  const config = initLog(logDir, { intervalMs: 200, policyFile: '' });
  log = await startLogProcess(config);
  const logAddress = new URL(log.url).host;

  mkdirSync(prefix);
  chmodSync(work, 0o755); // nginx workers (nobody when run as root) need to reach the prefix
  chmodSync(prefix, 0o755);
  const port = await freePort();
  writeFileSync(join(prefix, 'sigsum-log.conf'), deployedConf(logAddress, port));
  writeFileSync(join(prefix, 'nginx.conf'), mainConf(join(prefix, 'sigsum-log.conf')));
  httpsUrl = `https://127.0.0.1:${port}/`;

  const t = run(NGINX, ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')]);
  expect(t.stderr).toContain('syntax is ok');
  expect(t.stderr).toContain('test is successful');
  expect(t.status).toBe(0);

  nginx = spawn(NGINX, ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (c: Buffer) => (nginxOut += c.toString()));
  nginx.stderr!.on('data', (c: Buffer) => (nginxOut += c.toString()));
  const until = Date.now() + 15_000;
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited ${nginx.exitCode}: ${nginxOut}`);
    try {
      const r = await httpsRequest('GET', 'get-tree-head');
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`nginx or the log did not answer get-tree-head over HTTPS: ${nginxOut}\n${log.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  if (nginx !== undefined && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await log?.stop();
  rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('nginx TLS reverse proxy (deploy/nginx/sigsum-log.conf) in front of a real log', () => {
  it('nginx -t rejects a broken copy of the file (the check can fail)', () => {
    const broken = join(prefix, 'broken.conf');
    writeFileSync(broken, readFileSync(join(prefix, 'sigsum-log.conf'), 'utf8').replace('ssl_protocols TLSv1.2 TLSv1.3;', 'ssl_protocols TLSv1.2 TLSv1.3'));
    writeFileSync(join(prefix, 'broken-main.conf'), mainConf(broken));
    const t = run(NGINX, ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'broken-main.conf')]);
    expect(t.status).not.toBe(0);
    expect(t.stderr).toContain('test failed');
  });

  it('allows TLS 1.2 and 1.3 only', () => {
    const conf = readFileSync(deployConf, 'utf8');
    expect(conf).toMatch(/^\s*ssl_protocols TLSv1\.2 TLSv1\.3;$/m);
    for (const version of ['-tls1_2', '-tls1_3']) {
      const r = run('openssl', ['s_client', '-connect', new URL(httpsUrl).host, version, '-CAfile', ca, '-verify_return_error'], { input: '' });
      expect(r.stdout, version).toContain('Verify return code: 0 (ok)');
    }
  });

  it('sigsum submit and sigsum verify work over HTTPS with NODE_EXTRA_CA_CERTS; without the CA they fail', () => {
    ok(process.execPath, [sigsumCli, 'key', 'generate', '-o', 'submitter.key']);
    const logKey = ok(process.execPath, [sigsumCli, 'key', 'to-hex', '-k', join(work, 'log', 'log.key.pub')]).trim();
    writeFileSync(join(work, 'policy'), `log ${logKey} ${httpsUrl}\nquorum none\n`);
    writeFileSync(join(work, 'release.txt'), 'served through nginx\n');
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: ca };

    const untrusted = run(process.execPath, [sigsumCli, 'submit', '--timeout', '5s', '-k', 'submitter.key', '-p', 'policy', '-o', 'untrusted.proof', 'release.txt'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    expect(untrusted.status).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate/i);

    ok(process.execPath, [sigsumCli, 'submit', '-k', 'submitter.key', '-p', 'policy', 'release.txt'], { env });
    const v = run(process.execPath, [sigsumCli, 'verify', '-k', 'submitter.key.pub', '-p', 'policy', 'release.txt.proof'], { env, input: readFileSync(join(work, 'release.txt')) });
    expect(v.stderr).toBe('');
    expect(v.status).toBe(0);
  }, 60_000);

  it("the SDK's submit and log client work over HTTPS; inclusion and consistency proofs verify", () => {
    const sdk = pathToFileURL(join(repo, 'sdk', 'dist', 'index.js')).href;
    writeFileSync(join(work, 'client.mjs'), `
import { LogClient, SeedSigner, parsePolicy, sha256, submitMessages, verifyProof, verifyConsistency, verifyTreeHeadSignature } from ${JSON.stringify(sdk)};
import { readFileSync } from 'node:fs';
const policy = parsePolicy(readFileSync('policy', 'utf8'));
const signer = SeedSigner.generate();
const messages = [1, 2, 3].map((i) => sha256(new TextEncoder().encode('sdk over https ' + i)));
const proofs = await submitMessages(signer, messages, { policy, pollDelayMs: 100 });
const verdicts = [];
for (const [i, proof] of proofs.entries()) {
  const r = await verifyProof(proof, { message: messages[i], submitterKeys: [signer.publicKey], policy });
  verdicts.push(r.ok);
}
const log = policy.logs[0];
const client = new LogClient({ url: log.url });
const older = proofs[0].treeHead;
const later = await submitMessages(signer, [sha256(new TextEncoder().encode('sdk over https, later'))], { policy, pollDelayMs: 100 });
const head = await client.getTreeHead();
const signed = await verifyTreeHeadSignature(head, log.publicKey);
const consistency = await client.getConsistencyProof(older.size, head.size);
verifyConsistency(older.size, head.size, older.rootHash, head.rootHash, consistency.path); // throws when inconsistent
console.log(JSON.stringify({ verdicts, signed, older: String(older.size), later: String(later[0].treeHead.size), size: String(head.size) }));
`);
    const out = ok(process.execPath, ['client.mjs'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } });
    const r = JSON.parse(out) as { verdicts: boolean[]; signed: boolean; size: string; older: string; later: string };
    expect(r.verdicts).toEqual([true, true, true]);
    expect(r.signed).toBe(true);
    expect(BigInt(r.later)).toBeGreaterThan(BigInt(r.older));
    expect(BigInt(r.size)).toBeGreaterThanOrEqual(BigInt(r.later));
  }, 60_000);

  it('forwards the public endpoints only: internal paths, wrong methods and large bodies stop at the proxy', async () => {
    expect((await httpsRequest('GET', 'get-tree-head')).status).toBe(200);
    expect((await httpsRequest('GET', 'get-leaves/0/1')).status).toBe(200);
    for (const path of ['health', 'metrics', 'get-tree-head-unsigned', 'get-secondary-tree-head', 'get-tree-head/', 'add-leaf/x', '']) {
      const r = await httpsRequest('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.text, path).toBe('not a Sigsum log endpoint\n');
    }
    expect((await httpsRequest('POST', 'get-tree-head', 'x')).status).toBe(403);
    expect((await httpsRequest('GET', 'add-leaf')).status).toBe(403);
    expect((await httpsRequest('POST', 'add-leaf', 'x'.repeat(4096))).status).toBe(413);
    // A malformed add-leaf reaches the log, whose own message comes back.
    const bad = await httpsRequest('POST', 'add-leaf', 'message=zz\n');
    expect(bad.status).toBe(400);
    expect(bad.text.length).toBeGreaterThan(0);
  });
});
