/**
 * Every listener runs on a node:http server that carries its configured
 * limits (src/server/limits.ts): the values are on the server, and clients
 * see them in the answers of the front door and of Fastify alike (the
 * `Keep-Alive` header and the connection closed after the last allowed
 * request). The slow-client behaviour itself is in connection-limits.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request, Agent } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { SeedSigner, sha256, utf8 } from '@sigsum-kit/sdk';
import { openMemoryStorage } from '../src/storage/index.js';
import { Sequencer } from '../src/sequencer/sequencer.js';
import { buildInternalApp, buildPublicApp } from '../src/server/app.js';
import { publicLimits, internalLimits, type ListenerLimits } from '../src/server/limits.js';
import { textAnswer } from '../../test/http-answer.js';

const apps: FastifyInstance[] = [];
const sequencers: Sequencer[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const s of sequencers.splice(0)) await s.stop();
});

const LIMITS = { headersTimeoutMs: 3000, requestTimeoutMs: 4000, idleTimeoutMs: 9000, keepAliveTimeoutMs: 7000, maxRequestsPerSocket: 3, maxConnections: 40 } satisfies ListenerLimits;

function expectLimits(app: FastifyInstance, l: ListenerLimits): void {
  const s = app.server;
  expect({
    headersTimeout: s.headersTimeout,
    requestTimeout: s.requestTimeout,
    idle: s.timeout,
    keepAliveTimeout: s.keepAliveTimeout,
    maxRequestsPerSocket: s.maxRequestsPerSocket,
    maxConnections: s.maxConnections,
  }).toEqual({
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    idle: l.idleTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    maxRequestsPerSocket: l.maxRequestsPerSocket,
    maxConnections: l.maxConnections,
  });
}

/** GET `path` on one kept-alive connection of `agent`; the answer's status and connection headers. */
async function getOn(agent: Agent, url: string, path: string): Promise<{ status: number; keepAlive: string | undefined; connection: string | undefined }> {
  const u = new URL(url);
  const { status, headers } = await textAnswer(request({ host: u.hostname, port: u.port, path, agent }));
  return { status, keepAlive: headers['keep-alive'] as string | undefined, connection: headers.connection };
}

async function publicApp(limits: ListenerLimits): Promise<string> {
  const storage = await openMemoryStorage();
  const signer = new SeedSigner(sha256(utf8('listener limits log')));
  storage.setLogPublicKey(signer.publicKey);
  const sequencer = new Sequencer({ storage, signer, intervalMs: 60_000 });
  await sequencer.start();
  sequencers.push(sequencer);
  const app = await buildPublicApp({ storage, sequencer, limits });
  apps.push(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  expectLimits(app, limits);
  return url;
}

describe('listener limits', () => {
  it('puts the configured limits on the public server, and its answers carry them on both paths', async () => {
    const url = await publicApp(LIMITS);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // get-tree-head is the front door's, get-leaves Fastify's (400: the tree is empty); three requests on one connection.
      const first = await getOn(agent, url, '/get-tree-head');
      const second = await getOn(agent, url, '/get-leaves/0/1');
      const third = await getOn(agent, url, '/get-tree-head');
      expect(first).toEqual({ status: 200, keepAlive: 'timeout=7, max=3', connection: 'keep-alive' });
      expect(second).toEqual({ status: 400, keepAlive: 'timeout=7, max=3', connection: 'keep-alive' });
      // The third request is the last this connection may carry.
      expect(third).toEqual({ status: 200, keepAlive: undefined, connection: 'close' });
    } finally {
      agent.destroy();
    }
  });

  it('gives the public and internal listeners their defaults', async () => {
    await publicApp(publicLimits());
    const storage = await openMemoryStorage();
    const signer = new SeedSigner(sha256(utf8('listener limits internal')));
    storage.setLogPublicKey(signer.publicKey);
    const sequencer = new Sequencer({ storage, signer, intervalMs: 60_000 });
    const internal = await buildInternalApp({ sequencer, storage });
    apps.push(internal);
    await internal.listen({ host: '127.0.0.1', port: 0 });
    expectLimits(internal, internalLimits());
  });
});
