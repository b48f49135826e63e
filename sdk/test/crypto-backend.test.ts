import { afterEach, describe, expect, it, vi } from 'vitest';

// Each case loads a fresh copy of the modules, so detection runs again under
// the stubbed global `crypto` and `process.getBuiltinModule`.
async function freshEd25519() {
  vi.resetModules();
  return {
    ...(await import('../src/crypto/ed25519.js')),
    ...(await import('../src/crypto/ed25519-native.js')),
    ...(await import('../src/crypto/seed-signer.js')),
  };
}

const realBuiltin = process.getBuiltinModule.bind(process);

/** Make `process.getBuiltinModule('crypto')` return `replacement` (undefined: no such module). */
function stubNodeCrypto(replacement: unknown): void {
  vi.spyOn(process, 'getBuiltinModule').mockImplementation(((id: string) =>
    id === 'crypto' || id === 'node:crypto' ? replacement : realBuiltin(id)) as typeof process.getBuiltinModule);
}

const pk = Uint8Array.from(Buffer.from('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'hex'));
const sig = Uint8Array.from(Buffer.from('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00', 'hex'));
const msg = new Uint8Array([0x72]);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Ed25519 backend detection', () => {
  it("picks Node's crypto when present, and signs with WebCrypto there", async () => {
    const ed = await freshEd25519();
    expect(await ed.ed25519Backend()).toBe('native');
    expect(await ed.verify(pk, msg, sig)).toBe(true);
    expect(await ed.verify(pk, new Uint8Array([0x73]), sig)).toBe(false);
  });

  it("falls back to WebCrypto when Node's crypto does not give Go verdicts", async () => {
    const real = realBuiltin('crypto');
    // A lax engine: accepts everything.
    stubNodeCrypto({ createPublicKey: real.createPublicKey, verify: () => true });
    const ed = await freshEd25519();
    expect(await ed.ed25519Backend()).toBe('webcrypto');
    expect(await ed.verify(pk, new Uint8Array([0x73]), sig)).toBe(false);
    expect(await ed.verify(pk, msg, sig)).toBe(true);
  });

  it("falls back to WebCrypto without Node's crypto; the native path then throws", async () => {
    stubNodeCrypto(undefined);
    const ed = await freshEd25519();
    expect(ed.hasNativeEd25519()).toBe(false);
    expect(await ed.ed25519Backend()).toBe('webcrypto');
    expect(await ed.verify(pk, msg, sig)).toBe(true);
    expect(() => ed.verifyNativeSync(pk, msg, sig)).toThrow("Node's crypto is not available in this runtime");
    await expect(ed.verifyNative(pk, msg, sig)).rejects.toThrow("Node's crypto is not available in this runtime");
  });

  it('falls back to noble without WebCrypto, for verify and sign', async () => {
    stubNodeCrypto(undefined);
    vi.stubGlobal('crypto', undefined);
    const ed = await freshEd25519();
    expect(await ed.ed25519Backend()).toBe('noble');
    expect(await ed.verify(pk, msg, sig)).toBe(true);
    expect(await ed.verify(pk, new Uint8Array([0x73]), sig)).toBe(false);
    await expect(ed.verifyWebCrypto(pk, msg, sig)).rejects.toThrow('WebCrypto is not available in this runtime');
    const seed = Uint8Array.from(Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex'));
    expect(await new ed.SeedSigner(seed).sign(msg)).toEqual(sig);
  });

  it('falls back to noble when WebCrypto does not give Go verdicts', async () => {
    const real = globalThis.crypto.subtle;
    // An engine that accepts everything (e.g. a lax or cofactored verifier).
    const lax = {
      importKey: real.importKey.bind(real),
      verify: async () => true,
    };
    stubNodeCrypto(undefined);
    vi.stubGlobal('crypto', { subtle: lax });
    const ed = await freshEd25519();
    expect(await ed.ed25519Backend()).toBe('noble');
    expect(await ed.verify(pk, new Uint8Array([0x73]), sig)).toBe(false);
  });

  it('falls back to noble when WebCrypto lacks Ed25519', async () => {
    const broken = { importKey: async () => { throw new Error('NotSupportedError'); }, verify: async () => false };
    stubNodeCrypto(undefined);
    vi.stubGlobal('crypto', { subtle: broken });
    const ed = await freshEd25519();
    expect(await ed.ed25519Backend()).toBe('noble');
    expect(await ed.verify(pk, msg, sig)).toBe(true);
  });
});

describe('proof verification on each path', () => {
  it('gives the same verdicts and details with the synchronous native verifier as with WebCrypto', async () => {
    const { makeProof } = await import('./fixtures/make-proof.js');
    const f = await makeProof({ size: 9, index: 4, witnessCount: 3, threshold: 2, label: 'paths' });
    const p = f.proof;
    const th = p.treeHead;
    const flip = (b: Uint8Array) => {
      const c = b.slice();
      c[5]! ^= 1;
      return c;
    };
    const cosigs = (bad: number[]) => th.cosignatures.map((c, i) => (bad.includes(i) ? { ...c, signature: flip(c.signature) } : c));
    const cases: [string, typeof p, Uint8Array][] = [
      ['valid', p, f.data],
      ['other data', p, new Uint8Array([1, 2, 3])],
      ['log signature', { ...p, treeHead: { ...th, signature: flip(th.signature) } }, f.data],
      ['one bad cosignature (2 of 3 still hold)', { ...p, treeHead: { ...th, cosignatures: cosigs([1]) } }, f.data],
      ['two bad cosignatures', { ...p, treeHead: { ...th, cosignatures: cosigs([0, 2]) } }, f.data],
      ['inclusion path', { ...p, inclusion: { ...p.inclusion, path: p.inclusion.path.map((h, i) => (i === 1 ? flip(h) : h)) } }, f.data],
    ];
    const verifyAll = async () => {
      vi.resetModules();
      const { ed25519Backend } = await import('../src/crypto/ed25519.js');
      const { chosenVerifier } = await import('../src/crypto/chosen-verifier.js');
      const { parsePolicy } = await import('../src/policy/policy.js');
      const { verifyProof } = await import('../src/proof/verify.js');
      const backend = await ed25519Backend();
      const policy = parsePolicy(f.policyText);
      const results = [];
      for (const [, proof, data] of cases) results.push(await verifyProof(proof, { data, submitterKeys: [f.submitter.publicKey], policy }));
      return { backend, sync: chosenVerifier.sync !== undefined, results };
    };
    const native = await verifyAll();
    expect([native.backend, native.sync]).toEqual(['native', true]);
    stubNodeCrypto(undefined);
    const web = await verifyAll();
    expect([web.backend, web.sync]).toEqual(['webcrypto', false]);
    expect(native.results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'ok',
      'proof.leaf-signature',
      'proof.log-signature',
      'ok',
      'proof.quorum',
      'inclusion.root-mismatch',
    ]);
    expect(native.results).toEqual(web.results);
    expect(native.results[3]!.details.cosignatures.map((c) => c.status)).toEqual(['verified', 'invalid', 'verified']);
  });
});
