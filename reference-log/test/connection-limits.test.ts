// Stalled connections against a real `sigsum-log primary` under a real
// descriptor limit (`ulimit -n`): more connections than the process has
// descriptors, each sending headers and never its body. The public listener's
// cap keeps descriptors free, so the internal API and publication keep
// working; the request timeout frees the public listener for honest clients.
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { get, initLog, makeSubmissions, startLogProcess, tempDir } from './log-helpers.js';
import { textAnswer } from '../../test/http-answer.js';

const OPEN_FILE_LIMIT = 256;
const STALLED = 300; // beyond the descriptor limit
const REQUEST_TIMEOUT_MS = 5000; // the default

/** Open a connection that sends add-leaf headers and part of the body, then nothing. */
function stalled(url: URL): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const closed = new Promise<void>((res) => socket.once('close', () => res()));
    socket.on('error', () => undefined);
    socket.resume(); // read the server's 408 and close, so that 'close' fires
    socket.once('connect', () => {
      socket.write(`POST ${url.pathname}add-leaf HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 288\r\n\r\nmessage=`);
      resolve({ socket, closed });
    });
    // Refused or reset before connecting: counts as closed.
    socket.once('close', () => resolve({ socket, closed }));
  });
}

/** One request on a kept-alive connection (the agent holds a single socket). */
function onConnection(agent: Agent, url: string, method: 'GET' | 'POST', body = ''): Promise<{ status: number; text: string }> {
  return textAnswer(request(url, { method, agent, headers: { 'content-length': Buffer.byteLength(body) } }), body);
}

/** Whether a new connection gets any answer within `ms`. */
async function answers(url: string, ms = 2000): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(ms) });
    await r.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

describe('connection limits (real process, real descriptor limit)', () => {
  const tmp = tempDir('sigsum-log-limits-');
  afterAll(() => tmp.cleanup());

  it('keeps the internal API and publication working through stalled connections beyond the descriptor limit, then serves honest clients again', async () => {
    const config = initLog(tmp.dir + '/log', { intervalMs: 200, integrateIntervalMs: 10, addLeafWaitMs: 0 });
    const [leaf] = await makeSubmissions(1, 'stalled-connections');
    const log = await startLogProcess(config, [], { openFileLimit: OPEN_FILE_LIMIT });
    try {
      const started = log.output().split('\n').find((l) => l.includes('"log started"'))!;
      // Default cap: half the descriptor limit.
      expect(JSON.parse(started)).toMatchObject({ maxConnections: OPEN_FILE_LIMIT / 2, internalMaxConnections: 64 });
      const publicUrl = new URL(log.url);

      // An honest client connected before the flood keeps its connection.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      expect((await onConnection(agent, log.url + 'get-tree-head', 'GET')).text).toMatch(/^size=0\n/);

      const flood = await Promise.all(Array.from({ length: STALLED }, () => stalled(publicUrl)));
      const open = (): number => flood.filter((f) => !f.socket.closed).length;
      // The listener holds at most its cap; it closes the rest as it accepts them.
      for (let i = 0; i < 60 && open() > OPEN_FILE_LIMIT / 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(open()).toBeLessThanOrEqual(OPEN_FILE_LIMIT / 2);
      expect(open()).toBeGreaterThan(OPEN_FILE_LIMIT / 4);

      // Saturated: the internal API answers, the public listener takes no new connection.
      const health = await fetch(log.internalUrl + 'health', { signal: AbortSignal.timeout(3000) });
      expect(health.status).toBe(200);
      await health.arrayBuffer();
      expect(await answers(log.url + 'get-tree-head', 1000)).toBe(false);

      // Publication goes on: a leaf added on the kept connection is published while the flood lasts.
      expect((await onConnection(agent, log.url + 'add-leaf', 'POST', leaf!.body)).status).toBe(202);
      let published = '';
      for (let i = 0; i < 40 && !published.includes('published_size=1\n'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        published = await (await fetch(log.internalUrl + 'health', { signal: AbortSignal.timeout(3000) })).text();
      }
      expect(published).toContain('published_size=1\n');
      expect(await answers(log.url + 'get-tree-head', 1000)).toBe(false);
      agent.destroy();

      // The request timeout closes every stalled connection; honest clients are served again.
      await Promise.race([
        Promise.all(flood.map((f) => f.closed)),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${open()} stalled connections still open`)), REQUEST_TIMEOUT_MS + 5000)),
      ]);
      const head = await get(log.url + 'get-tree-head');
      expect(head.status).toBe(200);
      expect(head.text).toMatch(/^size=1\n/);
    } finally {
      await log.stop();
    }
  });

  it('warns at start-up when the public cap is not below the descriptor limit', async () => {
    const config = initLog(tmp.dir + '/warn', { maxConnections: OPEN_FILE_LIMIT });
    const log = await startLogProcess(config, [], { openFileLimit: OPEN_FILE_LIMIT });
    try {
      const warning = log
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .find((l) => l.level === 40 && l.msg.startsWith('listener connection caps'));
      expect(warning?.msg).toBe(
        `listener connection caps (256 + 64 = 320) are not below the open-file limit 256 with 32 to spare: ` +
          'a flood of connections can starve the database and the internal API; raise the limit (systemd LimitNOFILE) or lower maxConnections',
      );
    } finally {
      await log.stop();
    }
  });
});
