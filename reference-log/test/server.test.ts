/**
 * Bad input of every kind against the real `sigsum-log` process: exact status
 * code and plain-text message for each, then proof that nothing was lost or
 * corrupted (same tree head, same leaves, log still accepts leaves).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCosignedTreeHeadBody, toHex } from '@sigsum-kit/sdk';
import { get, initLog, makeSubmissions, startLogProcess, submitUntilSequenced, tempDir, type LogProcess, type Submission } from './log-helpers.js';

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  message: string;
}

const ZERO_HASH = '00'.repeat(32);

function table(known: Submission[], validBody: string, badSigBody: string): Case[] {
  const leaf0 = toHex(known[0]!.leafHash);
  return [
    // unknown endpoints and wrong methods
    { name: 'unknown endpoint', method: 'GET', path: 'get-everything', status: 404, message: 'unknown endpoint' },
    { name: 'root path', method: 'GET', path: '', status: 404, message: 'unknown endpoint' },
    { name: 'case-sensitive name', method: 'GET', path: 'Get-Tree-Head', status: 404, message: 'unknown endpoint' },
    { name: 'POST get-tree-head', method: 'POST', path: 'get-tree-head', body: 'x', status: 405, message: 'method POST not allowed, use GET' },
    { name: 'GET add-leaf', method: 'GET', path: 'add-leaf', status: 405, message: 'method GET not allowed, use POST' },
    { name: 'PUT get-leaves', method: 'PUT', path: 'get-leaves/0/1', body: 'x', status: 405, message: 'method PUT not allowed, use GET' },
    { name: 'DELETE add-leaf', method: 'DELETE', path: 'add-leaf', status: 405, message: 'method DELETE not allowed, use POST' },
    { name: 'OPTIONS without CORS', method: 'OPTIONS', path: 'get-tree-head', status: 405, message: 'method OPTIONS not allowed, use GET' },
    { name: 'trailing slash', method: 'GET', path: 'get-tree-head/', status: 400, message: 'malformed request path for get-tree-head' },
    // get-inclusion-proof
    { name: 'inclusion: no arguments', method: 'GET', path: 'get-inclusion-proof', status: 400, message: 'get-inclusion-proof: missing path arguments' },
    { name: 'inclusion: one argument', method: 'GET', path: 'get-inclusion-proof/3', status: 400, message: 'get-inclusion-proof: expected two path segments <a>/<b>, got 1' },
    { name: 'inclusion: three arguments', method: 'GET', path: `get-inclusion-proof/3/${leaf0}/x`, status: 400, message: 'get-inclusion-proof: expected two path segments <a>/<b>, got 3' },
    { name: 'inclusion: size 1', method: 'GET', path: `get-inclusion-proof/1/${leaf0}`, status: 400, message: 'size: size(1) must be larger than one' },
    { name: 'inclusion: size 0', method: 'GET', path: `get-inclusion-proof/0/${leaf0}`, status: 400, message: 'size: size(0) must be larger than one' },
    { name: 'inclusion: leading zero', method: 'GET', path: `get-inclusion-proof/03/${leaf0}`, status: 400, message: 'size: invalid decimal integer "03"' },
    { name: 'inclusion: negative', method: 'GET', path: `get-inclusion-proof/-3/${leaf0}`, status: 400, message: 'size: invalid decimal integer "-3"' },
    { name: 'inclusion: 2^63', method: 'GET', path: `get-inclusion-proof/9223372036854775808/${leaf0}`, status: 400, message: 'size: integer exceeds 2^63-1' },
    { name: 'inclusion: 2^63-1', method: 'GET', path: `get-inclusion-proof/9223372036854775807/${leaf0}`, status: 400, message: 'size 9223372036854775807 is beyond the current tree head (size 3)' },
    { name: 'inclusion: beyond head', method: 'GET', path: `get-inclusion-proof/4/${leaf0}`, status: 400, message: 'size 4 is beyond the current tree head (size 3)' },
    { name: 'inclusion: short hash', method: 'GET', path: `get-inclusion-proof/3/${leaf0.slice(2)}`, status: 400, message: 'leaf_hash: expected 32 bytes (64 hex digits), got 62 characters' },
    { name: 'inclusion: non-hex hash', method: 'GET', path: `get-inclusion-proof/3/${'zz' + leaf0.slice(2)}`, status: 400, message: 'leaf_hash: invalid hex character "z" at offset 0' },
    { name: 'inclusion: unknown leaf', method: 'GET', path: `get-inclusion-proof/3/${ZERO_HASH}`, status: 404, message: 'leaf not found in the tree of size 3' },
    { name: 'inclusion: leaf beyond size', method: 'GET', path: `get-inclusion-proof/2/${toHex(known[2]!.leafHash)}`, status: 404, message: 'leaf not found in the tree of size 2' },
    { name: 'inclusion: over-long segment', method: 'GET', path: `get-inclusion-proof/3/${'a'.repeat(1500)}`, status: 400, message: 'leaf_hash: expected 32 bytes (64 hex digits), got 1500 characters' },
    // get-consistency-proof
    { name: 'consistency: no arguments', method: 'GET', path: 'get-consistency-proof', status: 400, message: 'get-consistency-proof: missing path arguments' },
    { name: 'consistency: old 0', method: 'GET', path: 'get-consistency-proof/0/2', status: 400, message: 'old_size: old_size(0) must be larger than zero' },
    { name: 'consistency: equal sizes', method: 'GET', path: 'get-consistency-proof/2/2', status: 400, message: 'new_size: new_size(2) must be larger than old_size(2)' },
    { name: 'consistency: old > new', method: 'GET', path: 'get-consistency-proof/3/2', status: 400, message: 'new_size: new_size(2) must be larger than old_size(3)' },
    { name: 'consistency: beyond head', method: 'GET', path: 'get-consistency-proof/1/4', status: 400, message: 'new_size 4 is beyond the current tree head (size 3)' },
    { name: 'consistency: not a number', method: 'GET', path: 'get-consistency-proof/a/2', status: 400, message: 'old_size: invalid decimal integer "a"' },
    { name: 'consistency: empty segment', method: 'GET', path: 'get-consistency-proof//2', status: 400, message: 'old_size: invalid decimal integer ""' },
    // get-leaves
    { name: 'leaves: no arguments', method: 'GET', path: 'get-leaves', status: 400, message: 'get-leaves: missing path arguments' },
    { name: 'leaves: empty range', method: 'GET', path: 'get-leaves/1/1', status: 400, message: 'start_index: start_index(1) must be less than end_index(1)' },
    { name: 'leaves: reversed range', method: 'GET', path: 'get-leaves/2/1', status: 400, message: 'start_index: start_index(2) must be less than end_index(1)' },
    { name: 'leaves: start beyond head', method: 'GET', path: 'get-leaves/3/5', status: 400, message: 'start 3 is beyond the current tree head (size 3)' },
    { name: 'leaves: huge end', method: 'GET', path: 'get-leaves/0/99999999999999999999', status: 400, message: 'end_index: integer exceeds 2^63-1' },
    { name: 'leaves: hex number', method: 'GET', path: 'get-leaves/0x0/2', status: 400, message: 'start_index: invalid decimal integer "0x0"' },
    // add-leaf
    { name: 'add-leaf: empty body', method: 'POST', path: 'add-leaf', body: '', status: 400, message: 'line 1 (message): unexpected end of input, expected message' },
    { name: 'add-leaf: no trailing newline', method: 'POST', path: 'add-leaf', body: validBody.slice(0, -1), status: 400, message: 'line 3 (public_key): last line is not terminated by a newline' },
    { name: 'add-leaf: CRLF', method: 'POST', path: 'add-leaf', body: validBody.replaceAll('\n', '\r\n'), status: 400, message: 'line 1 (message): expected 32 bytes (64 hex digits), got 65 characters' },
    { name: 'add-leaf: keys swapped', method: 'POST', path: 'add-leaf', body: swapFirstLines(validBody), status: 400, message: 'line 1 (message): expected key message, got "signature"' },
    { name: 'add-leaf: trailing line', method: 'POST', path: 'add-leaf', body: validBody + 'foo=bar\n', status: 400, message: 'line 4: unexpected line after the end of the body: "foo=bar"' },
    { name: 'add-leaf: short message', method: 'POST', path: 'add-leaf', body: validBody.replace(/^message=../, 'message='), status: 400, message: 'line 1 (message): expected 32 bytes (64 hex digits), got 62 characters' },
    { name: 'add-leaf: bad signature', method: 'POST', path: 'add-leaf', body: badSigBody, status: 403, message: 'signature: leaf signature does not verify' },
    { name: 'add-leaf: oversized body', method: 'POST', path: 'add-leaf', body: validBody + 'x'.repeat(2000), status: 413, message: 'request body too large' },
    { name: 'add-leaf: NUL byte', method: 'POST', path: 'add-leaf', body: Uint8Array.from([0x00, 0x0a]), status: 400, message: 'line 1 (message): line has no \'=\': "\\u0000"' },
    { name: 'add-leaf: JSON content type', method: 'POST', path: 'add-leaf', body: '{"message":"x"}', headers: { 'content-type': 'application/json' }, status: 400, message: 'line 1 (message): last line is not terminated by a newline' },
  ];
}

function swapFirstLines(body: string): string {
  const l = body.split('\n');
  return [l[1], l[0], ...l.slice(2)].join('\n');
}

describe('bad input table', () => {
  const tmp = tempDir('sigsum-log-server-');
  let log: LogProcess;
  let known: Submission[];
  let fresh: Submission[];

  beforeAll(async () => {
    log = await startLogProcess(initLog(tmp.dir, { intervalMs: 100 }));
    [known, fresh] = [await makeSubmissions(3, 'table'), await makeSubmissions(2, 'table-fresh')];
    for (const s of known) await submitUntilSequenced(log.url, s.body, 20);
    for (let i = 0; i < 100 && !(await get(log.url + 'get-tree-head')).text.startsWith('size=3\n'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await log?.stop();
    tmp.cleanup();
  });

  it('answers every bad input with the exact status and message, and loses nothing', async () => {
    const beforeHead = await get(log.url + 'get-tree-head');
    const beforeLeaves = await get(log.url + 'get-leaves/0/3');
    expect(beforeHead.text.startsWith('size=3\n')).toBe(true);
    const validBody = fresh[0]!.body;
    const badSigBody = fresh[1]!.body.replace(/signature=(.)/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    const results: { name: string; status: number; message: string }[] = [];
    for (const c of table(known, validBody, badSigBody)) {
      const r = await fetch(log.url + c.path, { method: c.method, body: c.body as BodyInit | undefined, headers: c.headers });
      const text = await r.text();
      results.push({ name: c.name, status: r.status, message: text });
      expect(r.headers.get('content-type'), c.name).toBe('text/plain; charset=utf-8');
    }
    expect(results).toEqual(table(known, validBody, badSigBody).map((c) => ({ name: c.name, status: c.status, message: c.message + '\n' })));

    // Nothing lost or corrupted: same head, same leaves, nothing queued, still accepting.
    expect((await get(log.url + 'get-tree-head')).text).toBe(beforeHead.text);
    expect((await get(log.url + 'get-leaves/0/3')).text).toBe(beforeLeaves.text);
    expect((await get(log.internalUrl + 'health')).text).toContain('pending=0\n');
    await submitUntilSequenced(log.url, validBody, 20);
    const head = parseCosignedTreeHeadBody((await get(log.url + 'get-tree-head')).text);
    expect(head.size >= 3n).toBe(true);
    expect(log.proc.exitCode).toBe(null);
  });

  it('never answers 500 or dies on random requests', async () => {
    const segment = fc.oneof(
      fc.constantFrom('0', '1', '2', '3', '4', '9223372036854775807', '9223372036854775808', '-1', '01', '', '%00', '..', toHex(known[0]!.leafHash)),
      fc.string({ maxLength: 80 }).map((x) => encodeURIComponent(x)),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'),
      name: fc.constantFrom('get-tree-head', 'get-inclusion-proof', 'get-consistency-proof', 'get-leaves', 'add-leaf', 'add-leaves', ''),
      args: fc.array(segment, { maxLength: 4 }),
      body: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 400 }), fc.constant(fresh[0]!.body)),
    });
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const path = [r.name, ...r.args].join('/');
        const body = r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body;
        const res = await fetch(log.url + path, { method: r.method, body });
        await res.arrayBuffer();
        seen.add(res.status);
        return [200, 202, 400, 403, 404, 405, 413].includes(res.status);
      }),
      { numRuns: 300, seed: 20261127 },
    );
    expect(seen.has(400)).toBe(true);
    expect(log.proc.exitCode).toBe(null);
    expect((await get(log.url + 'get-tree-head?ignored=1')).status).toBe(200);
    expect((await fetch(log.url + 'get-tree-head', { method: 'HEAD' })).status).toBe(200);
  });

  it('clips get-leaves to the tree and to maxRange', async () => {
    const r = await get(log.url + 'get-leaves/1/1000');
    expect(r.status).toBe(200);
    expect(r.text.split('\n').filter((l) => l.startsWith('leaf=')).length).toBeGreaterThanOrEqual(2);
  });
});
