import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpError,
  LogClient,
  NetworkError,
  SeedSigner,
  serializeCosignedTreeHead,
  serializeInclusionProof,
  serializeConsistencyProof,
  serializeLeaves,
  signLeaf,
  sha256,
  toHex,
  type CosignedTreeHead,
} from '@sigsum-kit/sdk';

/**
 * A scripted HTTP server standing in for a log: each test installs a handler.
 * It exercises our client's HTTP behaviour (statuses, timing, bodies); the
 * real reference log is used by the end-to-end tests.
 */
let server: Server;
let base: string;
let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => res.end();
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('latin1')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/log/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function reply(status: number, body = ''): typeof handler {
  return (_q, res) => {
    res.statusCode = status;
    res.end(body);
  };
}

const fast = { backoffMs: 1, maxBackoffMs: 2 };
const cth: CosignedTreeHead = {
  size: 5n,
  rootHash: sha256(new Uint8Array([1])),
  signature: new Uint8Array(64).fill(7),
  cosignatures: [{ keyHash: sha256(new Uint8Array([2])), timestamp: 1700000000n, signature: new Uint8Array(64).fill(9) }],
};

describe('LogClient endpoints', () => {
  it('get-tree-head parses the cosigned tree head', async () => {
    seen.length = 0;
    handler = reply(200, serializeCosignedTreeHead(cth));
    const got = await new LogClient({ url: base }).getTreeHead();
    expect(got).toEqual(cth);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/log/get-tree-head' });
  });

  it('get-inclusion-proof builds the path and checks the index', async () => {
    const leafHash = sha256(new Uint8Array([3]));
    seen.length = 0;
    handler = reply(200, serializeInclusionProof({ leafIndex: 3n, path: [sha256(new Uint8Array([4]))] }));
    const c = new LogClient({ url: base });
    const p = await c.getInclusionProof(5n, leafHash);
    expect(p.leafIndex).toBe(3n);
    expect(seen[0]!.url).toBe(`/log/get-inclusion-proof/5/${toHex(leafHash)}`);
    handler = reply(200, serializeInclusionProof({ leafIndex: 5n, path: [sha256(new Uint8Array([4]))] }));
    await expect(c.getInclusionProof(5n, leafHash)).rejects.toThrow(`${base}get-inclusion-proof/5/${toHex(leafHash)}: leaf index 5 is not below tree size 5`);
    // Size 1 needs no request.
    seen.length = 0;
    expect(await c.getInclusionProof(1n, leafHash)).toEqual({ leafIndex: 0n, path: [] });
    expect(seen).toHaveLength(0);
    await expect(c.getInclusionProof(0n, leafHash)).rejects.toMatchObject({ code: 'client.empty-tree' });
  });

  it('a 404 inclusion proof is an HttpError with the log message', async () => {
    handler = reply(404, 'leaf not found\n');
    const err = await new LogClient({ url: base, ...fast }).getInclusionProof(5n, new Uint8Array(32)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 404, serverMessage: 'leaf not found', code: 'http.404' });
    expect((err as Error).message).toBe(`${base}get-inclusion-proof/5/${'00'.repeat(32)}: HTTP 404: leaf not found`);
  });

  it('get-consistency-proof, with the trivial cases answered locally', async () => {
    seen.length = 0;
    const path = [sha256(new Uint8Array([5])), sha256(new Uint8Array([6]))];
    handler = reply(200, serializeConsistencyProof({ path }));
    const c = new LogClient({ url: base });
    expect((await c.getConsistencyProof(2n, 7n)).path).toEqual(path);
    expect(seen[0]!.url).toBe('/log/get-consistency-proof/2/7');
    expect(await c.getConsistencyProof(0n, 7n)).toEqual({ path: [] });
    expect(await c.getConsistencyProof(7n, 7n)).toEqual({ path: [] });
    expect(seen).toHaveLength(1);
    await expect(c.getConsistencyProof(8n, 7n)).rejects.toThrow('old size 8 exceeds new size 7');
  });

  it('get-leaves accepts fewer leaves than asked but never more', async () => {
    const leaf = { checksum: sha256(new Uint8Array([1])), signature: new Uint8Array(64), keyHash: sha256(new Uint8Array([2])) };
    const c = new LogClient({ url: base });
    handler = reply(200, serializeLeaves([leaf]));
    expect(await c.getLeaves(0n, 2n)).toEqual([leaf]);
    handler = reply(200, serializeLeaves([leaf, leaf, leaf]));
    await expect(c.getLeaves(0n, 2n)).rejects.toMatchObject({ code: 'ascii.count', message: `${base}get-leaves/0/2: invalid response: line 3 (leaf): more than 2 leaf lines` });
    handler = reply(200, '');
    await expect(c.getLeaves(0n, 2n)).rejects.toMatchObject({ code: 'ascii.count' });
  });

  it('add-leaf sends the body and the token header, and maps 200/202', async () => {
    const s = SeedSigner.generate();
    const message = sha256(new Uint8Array([8]));
    const req = { message, signature: await signLeaf(s, message), publicKey: s.publicKey };
    const c = new LogClient({ url: base, userAgent: 'sigsum-kit test' });
    seen.length = 0;
    handler = reply(202);
    expect(await c.addLeaf(req, { token: 'example.org ' + 'ab'.repeat(64) })).toBe('accepted');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/log/add-leaf');
    expect(seen[0]!.body).toBe(`message=${toHex(message)}\nsignature=${toHex(req.signature)}\npublic_key=${toHex(s.publicKey)}\n`);
    expect(seen[0]!.headers['sigsum-token']).toBe('example.org ' + 'ab'.repeat(64));
    expect(seen[0]!.headers['user-agent']).toBe('sigsum-kit test');
    handler = reply(200);
    expect(await c.addLeaf(req)).toBe('persisted');
    handler = reply(403, 'invalid signature');
    await expect(c.addLeaf(req)).rejects.toMatchObject({ status: 403, message: `${base}add-leaf: HTTP 403: invalid signature` });
    handler = reply(429, 'rate limit exceeded');
    await expect(c.addLeaf(req)).rejects.toMatchObject({ status: 429, serverMessage: 'rate limit exceeded' });
  });

  it('rejects malformed responses with the URL and line', async () => {
    handler = reply(200, 'size=5\nroot_hash=zz\n');
    await expect(new LogClient({ url: base }).getTreeHead()).rejects.toMatchObject({
      code: 'hex.length',
      where: `${base}get-tree-head`,
    });
    handler = reply(200, 'unexpected');
    await expect(new LogClient({ url: base }).addLeaf({ message: new Uint8Array(32), signature: new Uint8Array(64), publicKey: new Uint8Array(32) })).rejects.toThrow(
      `${base}add-leaf: unexpected response body "unexpected"`,
    );
  });

  it('rejects a non-http URL', () => {
    expect(() => new LogClient({ url: 'ftp://x/' })).toThrow('log URL must be http(s): "ftp://x/"');
  });
});

describe('retries, timeouts, cancellation, limits', () => {
  it('retries 5xx with backoff and then succeeds', async () => {
    let n = 0;
    handler = (q, res) => {
      n++;
      if (n < 3) reply(503, 'busy')(q, res, '');
      else reply(200, serializeCosignedTreeHead(cth))(q, res, '');
    };
    expect((await new LogClient({ url: base, ...fast }).getTreeHead()).size).toBe(5n);
    expect(n).toBe(3);
  });

  it('gives up after the configured retries with the last error', async () => {
    let n = 0;
    handler = (q, res) => {
      n++;
      reply(500, 'internal error')(q, res, '');
    };
    await expect(new LogClient({ url: base, retries: 2, ...fast }).getTreeHead()).rejects.toMatchObject({ status: 500, serverMessage: 'internal error' });
    expect(n).toBe(3);
  });

  it('does not retry 4xx', async () => {
    let n = 0;
    handler = (q, res) => {
      n++;
      reply(400, 'bad request')(q, res, '');
    };
    await expect(new LogClient({ url: base, ...fast }).getTreeHead()).rejects.toMatchObject({ status: 400 });
    expect(n).toBe(1);
  });

  it('retries 202 only when asked to', async () => {
    let n = 0;
    handler = (q, res) => {
      n++;
      reply(n < 3 ? 202 : 200)(q, res, '');
    };
    const req = { message: new Uint8Array(32), signature: new Uint8Array(64), publicKey: new Uint8Array(32) };
    expect(await new LogClient({ url: base, ...fast }).addLeaf(req, { retryAccepted: true })).toBe('persisted');
    expect(n).toBe(3);
  });

  it('times out a slow response and retries it', async () => {
    let n = 0;
    handler = (q, res) => {
      n++;
      if (n === 1) setTimeout(() => reply(200, serializeCosignedTreeHead(cth))(q, res, ''), 300);
      else reply(200, serializeCosignedTreeHead(cth))(q, res, '');
    };
    expect((await new LogClient({ url: base, timeoutMs: 100, ...fast }).getTreeHead()).size).toBe(5n);
    expect(n).toBe(2);
    handler = (q, res) => setTimeout(() => reply(200, '')(q, res, ''), 300);
    await expect(new LogClient({ url: base, timeoutMs: 50, retries: 0 }).getTreeHead()).rejects.toMatchObject({
      code: 'http.timeout',
      message: `${base}get-tree-head: no complete response within 50 ms`,
    });
  });

  it('stops at once when the caller aborts, also during backoff', async () => {
    handler = (q, res) => setTimeout(() => reply(200, '')(q, res, ''), 2000);
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error('stop now')), 50);
    await expect(new LogClient({ url: base, signal: ac.signal }).getTreeHead()).rejects.toThrow('stop now');
    expect(Date.now() - t0).toBeLessThan(1000);

    handler = reply(503);
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(new Error('stop in backoff')), 50);
    await expect(new LogClient({ url: base, backoffMs: 5000, maxBackoffMs: 5000 }).getTreeHead({ signal: ac2.signal })).rejects.toThrow('stop in backoff');
  });

  it('reports a refused connection as a network error after retrying', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const err = await new LogClient({ url: `http://127.0.0.1:${port}/`, retries: 1, ...fast }).getTreeHead().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'http.network' });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('refuses bodies over the limit', async () => {
    handler = reply(200, 'x'.repeat(5000));
    await expect(new LogClient({ url: base, maxBodyBytes: 1000 }).getTreeHead()).rejects.toMatchObject({
      code: 'http.body-size',
      message: `${base}get-tree-head: response body of 5000 bytes exceeds the limit of 1000`,
    });
    handler = (_q, res) => {
      res.write('x'.repeat(800));
      res.end('x'.repeat(800)); // chunked: no content-length
    };
    await expect(new LogClient({ url: base, maxBodyBytes: 1000 }).getTreeHead()).rejects.toMatchObject({
      code: 'http.body-size',
      message: `${base}get-tree-head: response body exceeds the limit of 1000 bytes`,
    });
  });

  it('cleans the server message of control characters and bounds it', async () => {
    handler = reply(400, 'bad\x00thing\x1b[31m\n');
    await expect(new LogClient({ url: base }).getTreeHead()).rejects.toMatchObject({ serverMessage: 'bad?thing?[31m' });
    handler = reply(400, 'y'.repeat(2000));
    const err = (await new LogClient({ url: base }).getTreeHead().catch((e: unknown) => e)) as HttpError;
    expect(err.serverMessage).toBe('y'.repeat(500) + '…');
  });
});
