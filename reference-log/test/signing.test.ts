// The log never publishes a tree head whose signature does not verify, and a
// signer that fails (a token gone, a device returning garbage) stops
// publication without stopping the log; it resumes once the signer works.
import { describe, expect, it } from 'vitest';
import { SeedSigner, VerificationError, parseCosignedTreeHeadBody, sha256, utf8, verifyTreeHeadSignature, type Signer } from '@sigsum-kit/sdk';
import { openMemoryStorage } from '../src/storage/index.js';
import { startLog } from '../src/log.js';
import { startSecondary } from '../src/replication/index.js';
import { createMetrics } from '../src/metrics/index.js';
import { verifyingSigner } from '../src/signing.js';
import { sample } from './prometheus-text.js';
import { makeSubmissions } from './log-helpers.js';

const key = new SeedSigner(sha256(utf8('signing test log')));

/** A device double: signs correctly, fails, or returns a signature of another message. */
function device(): Signer & { mode: 'ok' | 'fail' | 'garbage' } {
  const d = {
    mode: 'ok' as 'ok' | 'fail' | 'garbage',
    publicKey: key.publicKey,
    async sign(message: Uint8Array): Promise<Uint8Array> {
      if (d.mode === 'fail') throw new Error('CKR_DEVICE_REMOVED');
      return key.sign(d.mode === 'garbage' ? utf8('something else') : message);
    },
  };
  return d;
}

describe('verifyingSigner', () => {
  it('passes good signatures and rejects one that does not verify', async () => {
    const d = device();
    const s = verifyingSigner(d);
    expect(await s.sign(utf8('m'))).toEqual(await key.sign(utf8('m')));
    d.mode = 'garbage';
    const e = await s.sign(utf8('m')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(VerificationError);
    expect((e as VerificationError).code).toBe('signer.bad-signature');
  });
});

describe('log with a failing signer', () => {
  it('keeps serving the last head while the signer fails or returns bad signatures, and resumes', async () => {
    const d = device();
    const metrics = createMetrics('primary', { defaultMetrics: false });
    const log = await startLog({ storage: await openMemoryStorage(), signer: d, intervalMs: 30, integrateIntervalMs: 5, metrics });
    try {
      const head = async (): Promise<{ size: bigint; body: string }> => {
        const body = await (await fetch(`${log.url}get-tree-head`)).text();
        return { size: parseCosignedTreeHeadBody(body).size, body };
      };
      const first = await head();
      expect(first.size).toBe(0n);
      d.mode = 'fail';
      // Leaves keep being accepted and integrated while nothing can be signed.
      for (const sub of await makeSubmissions(2, 'signer-down')) expect((await fetch(`${log.url}add-leaf`, { method: 'POST', body: sub.body })).status).toBeLessThan(300);
      for (const mode of ['fail', 'garbage'] as const) {
        d.mode = mode;
        await new Promise((r) => setTimeout(r, 150));
        const during = await head();
        expect(during.body).toBe(first.body); // nothing new published, nothing half-written
        expect(sample(await metrics.registry.metrics(), 'sigsum_log_signer_up')).toBe(0);
      }
      expect(sample(await metrics.registry.metrics(), 'sigsum_log_signer_errors_total')).toBeGreaterThanOrEqual(2);
      d.mode = 'ok';
      for (let i = 0; i < 100 && sample(await metrics.registry.metrics(), 'sigsum_log_signer_up') !== 1; i++) await new Promise((r) => setTimeout(r, 20));
      let after = parseCosignedTreeHeadBody((await head()).body);
      for (let i = 0; i < 100 && after.size < 2n; i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = parseCosignedTreeHeadBody((await head()).body);
      }
      expect(after.size).toBe(2n);
      expect(await verifyTreeHeadSignature(after, key.publicKey)).toBe(true);
      expect(sample(await metrics.registry.metrics(), 'sigsum_log_signer_up')).toBe(1);
    } finally {
      await log.close();
    }
  });
});

describe('secondary with a failing signer', () => {
  it('answers get-secondary-tree-head 503 with the reason, counts it, and signs again once the key works', async () => {
    const primary = await startLog({ storage: await openMemoryStorage(), signer: key, intervalMs: 30, integrateIntervalMs: 5, internalPort: 0 });
    const d = device();
    const metrics = createMetrics('secondary', { defaultMetrics: false });
    const storage = await openMemoryStorage();
    storage.setLogPublicKey(key.publicKey);
    const secondary = await startSecondary({ storage, signer: d, primaryUrl: primary.internalUrl!, intervalMs: 20, metrics });
    try {
      const url = `${secondary.internalUrl}get-secondary-tree-head`;
      expect((await fetch(url)).status).toBe(200);
      for (const [mode, message] of [
        ['fail', "the secondary's signing key failed: CKR_DEVICE_REMOVED\n"],
        ['garbage', "the secondary's signing key failed: signature: the signing key produced a signature that does not verify; nothing was published\n"],
      ] as const) {
        d.mode = mode;
        // A new size needs a new signature.
        for (const sub of await makeSubmissions(1, `secondary-${mode}`)) await fetch(`${primary.url}add-leaf`, { method: 'POST', body: sub.body });
        const want = mode === 'fail' ? 1 : 2;
        for (let i = 0; i < 250 && secondary.treeSize() < want; i++) await new Promise((r) => setTimeout(r, 20));
        expect(secondary.treeSize()).toBe(want);
        const r = await fetch(url);
        expect(r.status).toBe(503);
        expect(await r.text()).toBe(message);
        expect(sample(await metrics.registry.metrics(), 'sigsum_log_signer_up')).toBe(0);
      }
      expect(sample(await metrics.registry.metrics(), 'sigsum_log_signer_errors_total')).toBe(2);
      d.mode = 'ok';
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(sample(await metrics.registry.metrics(), 'sigsum_log_signer_up')).toBe(1);
    } finally {
      await secondary.close();
      await primary.close();
    }
  });
});
