import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWitness, type RunningWitness } from '../src/witness/server.js';
import { TestLog, testSigner } from './witness-fixtures.js';

describe('witness metrics listener', () => {
  const log = new TestLog('metrics-log');
  let w: RunningWitness;
  beforeAll(async () => {
    w = await startWitness({ signer: testSigner('metrics-witness'), statePath: ':memory:', logKeys: [log.publicKey], metricsListen: { port: 0 } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('counts add-checkpoint responses by status with role="witness", on a separate listener', async () => {
    expect(w.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(w.metricsUrl!).port).not.toBe(new URL(w.url).port);
    for (const body of [await log.body(0, 2), await log.body(0, 3), 'garbage']) await (await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body })).text();
    await (await fetch(`${w.url}/nowhere`)).text();
    const text = await (await fetch(w.metricsUrl!)).text();
    const count = (status: number, endpoint = '/add-checkpoint') =>
      new RegExp(`^sigsum_http_responses_total\\{endpoint="${endpoint}",method="${endpoint === '/add-checkpoint' ? 'POST' : 'GET'}",status="${status}",role="witness"\\} 1$`, 'm');
    expect(text).toMatch(count(200));
    expect(text).toMatch(count(409));
    expect(text).toMatch(count(400));
    expect(text).toMatch(count(404, 'unmatched'));
    // The public listener does not serve the registry.
    expect((await fetch(w.url.replace(/\/?$/, '/metrics'))).status).toBe(404);
  });

  it('has no metrics listener unless asked', async () => {
    const plain = await startWitness({ signer: testSigner('metrics-witness'), statePath: ':memory:', logKeys: [log.publicKey] });
    try {
      expect(plain.metricsUrl).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
