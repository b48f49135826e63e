/**
 * The public listener's front door (src/server/front.ts): get-tree-head and
 * add-leaf answered from node:http must be indistinguishable from Fastify's
 * answers (status, headers, text, metrics), over real HTTP on 127.0.0.1 and a
 * durable SQLite log; and it must pass on every request it does not serve
 * itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import pino from 'pino';
import { SeedSigner, sha256, utf8 } from '@sigsum-kit/sdk';
import { openSqliteStorage } from '../src/storage/index.js';
import { startLog, type RunningLog } from '../src/log.js';
import { createMetrics } from '../src/metrics/index.js';
import { frontDoor, type FrontOptions } from '../src/server/front.js';
import type { FrontDoor } from '../src/server/limits.js';
import { ApiError } from '../src/server/http.js';
import { makeSubmissions, tempDir, type Submission } from './log-helpers.js';
import { sample } from './prometheus-text.js';
import { textAnswer } from '../../test/http-answer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Answer = Awaited<ReturnType<typeof textAnswer>>;

/**
 * One request with exactly the given headers. `chunks` are written one by one
 * (`pauseMs` apart) without a content-length (chunked transfer encoding)
 * unless the headers give one.
 */
async function send(url: string, method: string, path: string, opts: { chunks?: (string | Buffer)[]; headers?: Record<string, string>; pauseMs?: number } = {}): Promise<Answer> {
  const u = new URL(url);
  const req = request({ host: u.hostname, port: u.port, method, path, headers: opts.headers ?? {} });
  for (const [i, c] of (opts.chunks ?? []).entries()) {
    if (i > 0 && opts.pauseMs !== undefined) await new Promise((r) => setTimeout(r, opts.pauseMs));
    req.write(c);
  }
  return textAnswer(req);
}

/** add-leaf as a submitter sends it: one body with its length and a content type (the front door's case). */
function postPlain(log: RunningLog, body: string | Buffer, path = 'add-leaf'): Promise<Answer> {
  return send(log.url, 'POST', new URL(log.url).pathname + path, {
    chunks: [body],
    headers: { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) },
  });
}

/** A front door with the tests' body limit, no extra headers and a silent logger unless given. */
function door(opts: Pick<FrontOptions, 'treeHeadPath' | 'treeHead' | 'addLeafPath' | 'addLeaf'> & Partial<FrontOptions>): FrontDoor {
  return frontDoor({ bodyLimit: 1024, headers: {}, logger: pino({ level: 'silent' }), ...opts });
}

/** A plain add-leaf whose body arrives in two pieces, split inside a UTF-8 character (the front door's case still). */
function postSplit(log: RunningLog, body: string, at: number): Promise<Answer> {
  const b = Buffer.from(body);
  return send(log.url, 'POST', new URL(log.url).pathname + 'add-leaf', {
    chunks: [b.subarray(0, at), b.subarray(at)],
    headers: { 'content-type': 'text/plain', 'content-length': String(b.length) },
    pauseMs: 30,
  });
}

/** The same body chunked, without a length: the front door passes it on to Fastify. */
function postChunked(log: RunningLog, body: string | Buffer): Promise<Answer> {
  const b = Buffer.from(body);
  return send(log.url, 'POST', new URL(log.url).pathname + 'add-leaf', { chunks: [b.subarray(0, 10), b.subarray(10)], headers: { 'content-type': 'text/plain' } });
}

/** Headers without the date, which differs between any two answers. */
function withoutDate(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, ...rest } = h;
  return rest;
}

function forge(s: Submission): string {
  return s.body.replace(/^signature=(.)/m, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startSqliteLog(extra: { corsOrigins?: string[]; prefix?: string }): Promise<{ log: RunningLog; scrape: () => Promise<string> }> {
  const tmp = tempDir('sigsum-front-door-');
  cleanups.push(tmp.cleanup);
  const storage = openSqliteStorage(join(tmp.dir, 'log.sqlite'), { create: true });
  const metrics = createMetrics('primary', { defaultMetrics: false });
  const log = await startLog({ storage, signer: new SeedSigner(sha256(utf8('front door log'))), intervalMs: 50, integrateIntervalMs: 5, internalPort: 0, metrics, ...extra });
  cleanups.push(() => log.close());
  await waitFor('the first tree head', () => log.sequencer.published !== undefined);
  return { log, scrape: async () => (await fetch(log.internalUrl + 'metrics')).text() };
}

describe('the front door of the public listener', () => {
  for (const variant of [{ name: 'no CORS', extra: {} }, { name: 'CORS for any origin, under a prefix', extra: { corsOrigins: ['*'], prefix: '/sigsum/v1' } }]) {
    it(`answers get-tree-head and add-leaf exactly as Fastify does (${variant.name}), and counts them the same`, async () => {
      const { log, scrape } = await startSqliteLog(variant.extra);
      const base = new URL(log.url).pathname;
      const endpoint = (name: string) => base + name;

      // get-tree-head: the plain request is the front door's, one with a query string Fastify's.
      const front = await send(log.url, 'GET', endpoint('get-tree-head'));
      const fastify = await send(log.url, 'GET', endpoint('get-tree-head') + '?via=fastify');
      expect(front.status).toBe(200);
      expect(front.text).toMatch(/^size=\d+\nroot_hash=[0-9a-f]{64}\nsignature=[0-9a-f]{128}\n$/);
      expect(withoutDate(front.headers)).toEqual(withoutDate(fastify.headers));
      expect(front.text).toBe(fastify.text);
      if (variant.extra.corsOrigins !== undefined) expect(front.headers['access-control-allow-origin']).toBe('*');
      else expect(front.headers['access-control-allow-origin']).toBeUndefined();

      // add-leaf: new leaves (202), bad signatures (403), malformed bodies (400), then re-sends (200).
      const subs = await makeSubmissions(3, `front door ${variant.name}`);
      const pairs: [Answer, Answer, number, string][] = [
        [await postPlain(log, subs[0]!.body), await postChunked(log, subs[1]!.body), 202, ''],
        [await postPlain(log, forge(subs[2]!)), await postChunked(log, forge(subs[2]!)), 403, 'signature: leaf signature does not verify\n'],
        [await postPlain(log, 'message=12\n'), await postChunked(log, 'message=12\n'), 400, 'line 1 (message): expected 32 bytes (64 hex digits), got 2 characters\n'],
        [await postPlain(log, 'méssage=é\n'), await postChunked(log, 'méssage=é\n'), 400, 'line 1 (message): expected key message, got "méssage"\n'],
        [await postSplit(log, 'méssage=é\n', 2), await postChunked(log, 'méssage=é\n'), 400, 'line 1 (message): expected key message, got "méssage"\n'],
      ];
      await waitFor('both new leaves published', () => (log.sequencer.published?.size ?? 0) >= 2);
      pairs.push([await postChunked(log, subs[0]!.body), await postPlain(log, subs[1]!.body), 200, '']);
      for (const [viaFront, viaFastify, status, text] of pairs) {
        expect({ status: viaFront.status, text: viaFront.text }).toEqual({ status, text });
        expect({ status: viaFastify.status, text: viaFastify.text }).toEqual({ status, text });
        expect(withoutDate(viaFront.headers)).toEqual(withoutDate(viaFastify.headers));
      }
      // Nothing but the two good leaves was stored.
      expect(log.storage.treeSize()).toBe(2);
      expect(log.storage.leafIndex(subs[2]!.leafHash)).toBeUndefined();

      // Both paths count under the route's own labels: one request of each kind went through each.
      const text = await scrape();
      const get = { endpoint: endpoint('get-tree-head'), method: 'GET' };
      const add = { endpoint: endpoint('add-leaf'), method: 'POST' };
      expect(sample(text, 'sigsum_http_requests_total', get)).toBe(2);
      expect(sample(text, 'sigsum_http_responses_total', { ...get, status: '200' })).toBe(2);
      expect(sample(text, 'sigsum_http_request_duration_seconds_count', { ...get, status: '200' })).toBe(2);
      expect(sample(text, 'sigsum_http_requests_total', add)).toBe(12);
      for (const [status, n] of [['200', 2], ['202', 2], ['403', 2], ['400', 6]] as const) {
        expect(sample(text, 'sigsum_http_responses_total', { ...add, status })).toBe(n);
        expect(sample(text, 'sigsum_http_request_duration_seconds_count', { ...add, status })).toBe(n);
      }
    });
  }

  it('leaves the answers to Fastify and @fastify/cors when CORS names origins', async () => {
    const { log } = await startSqliteLog({ corsOrigins: ['https://app.example'] });
    const r = await send(log.url, 'GET', '/get-tree-head', { headers: { origin: 'https://app.example' } });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(r.headers.vary).toBe('Origin');
    const other = await send(log.url, 'GET', '/get-tree-head', { headers: { origin: 'https://elsewhere.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('frontDoor on its own', () => {
  /** A node:http server whose requests go to `front` first; what it passes on is answered 299 "passed on". */
  async function serve(front: ReturnType<typeof frontDoor>): Promise<string> {
    const server: Server = createServer((req, res) => {
      if (!front(req, res)) res.writeHead(299).end('passed on');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('serves only plain get-tree-head and add-leaf requests, and passes every other one on', async () => {
    let head: Buffer | undefined = Buffer.from('size=0\n');
    const bodies: string[] = [];
    const url = await serve(
      door({
        treeHeadPath: '/log/get-tree-head',
        treeHead: () => head,
        addLeafPath: '/log/add-leaf',
        addLeaf: (body) => {
          bodies.push(body);
          return body === 'abc' ? 202 : Promise.resolve(200);
        },
      }),
    );
    const plain = { 'content-type': 'text/plain', 'content-length': '3' };
    expect(await send(url, 'GET', '/log/get-tree-head')).toMatchObject({ status: 200, text: 'size=0\n' });
    expect(await send(url, 'POST', '/log/add-leaf', { chunks: ['abc'], headers: plain })).toMatchObject({ status: 202, text: '' });
    // An answer decided at once and one decided later.
    expect(await send(url, 'POST', '/log/add-leaf', { chunks: ['xyz'], headers: plain })).toMatchObject({ status: 200, text: '' });
    expect(bodies).toEqual(['abc', 'xyz']);
    const passedOn: [string, string, string, { chunks?: string[]; headers?: Record<string, string> }?][] = [
      ['query string', 'GET', '/log/get-tree-head?x'],
      ['HEAD', 'HEAD', '/log/get-tree-head'],
      ['another path', 'GET', '/log/get-leaves/0/1'],
      ['no prefix', 'GET', '/get-tree-head'],
      ['wrong method', 'PUT', '/log/add-leaf'],
      ['no content type', 'POST', '/log/add-leaf', { chunks: ['abc'], headers: { 'content-length': '3' } }],
      ['chunked', 'POST', '/log/add-leaf', { chunks: ['a', 'bc'], headers: { 'content-type': 'text/plain' } }],
      ['over the limit', 'POST', '/log/add-leaf', { chunks: ['x'.repeat(1025)], headers: { 'content-type': 'text/plain', 'content-length': '1025' } }],
      ['empty', 'POST', '/log/add-leaf', { headers: { 'content-type': 'text/plain', 'content-length': '0' } }],
    ];
    for (const [name, method, path, opts] of passedOn) {
      const r = await send(url, method, path, opts);
      expect({ name, status: r.status }).toEqual({ name, status: 299 });
    }
    // Before the first publication get-tree-head is Fastify's (which answers 503).
    head = undefined;
    expect((await send(url, 'GET', '/log/get-tree-head')).status).toBe(299);
    expect(bodies).toEqual(['abc', 'xyz']);
  });

  it('answers a thrown error as the error handler does: 4xx with its message, 500 for our bugs (logged), and survives aborted bodies', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(chunk.toString()), done()) }));
    const url = await serve(
      door({
        treeHeadPath: '/get-tree-head',
        treeHead: () => undefined,
        addLeafPath: '/add-leaf',
        addLeaf: (body) => {
          // Thrown at once (as a parse error is) or through the promise (as a failed check is).
          if (body === 'busy') throw new ApiError(503, 'too many leaves are waiting to be sequenced; retry later');
          return Promise.reject(new Error('a bug'));
        },
        logger,
      }),
    );
    const post = (body: string) => send(url, 'POST', '/add-leaf', { chunks: [body], headers: { 'content-type': 'text/plain', 'content-length': String(body.length) } });
    const busy = await post('busy');
    expect(busy).toMatchObject({ status: 503, text: 'too many leaves are waiting to be sequenced; retry later\n' });
    expect(busy.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(logged).toEqual([]);
    expect(await post('boom')).toMatchObject({ status: 500, text: 'internal error\n' });
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ msg: 'internal error', url: '/add-leaf', err: { message: 'a bug' } });
    // A client that promises 300 bytes, sends 10 and goes away: no answer is owed and the server lives on.
    await new Promise<void>((resolve) => {
      const u = new URL(url);
      const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/add-leaf', headers: { 'content-type': 'text/plain', 'content-length': '300' } });
      req.on('error', () => resolve());
      req.write('message=01');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect((await post('busy')).status).toBe(503);
  });
});
