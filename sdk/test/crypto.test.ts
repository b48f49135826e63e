import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SeedSigner,
  TREE_LEAF_NAMESPACE,
  clearEd25519KeyCache,
  clearNativeKeyCache,
  ed25519Backend,
  fromHex,
  keyHash,
  publicKeyFromSeed,
  sha256,
  signNamespaced,
  signWithSeed,
  toHex,
  utf8,
  verify,
  verifyNamespaced,
  verifyNative,
  verifyNativeSync,
  verifyNoble,
  verifyNobleSync,
  verifyWebCrypto,
} from '@sigsum-kit/sdk';

// RFC 8032 §7.1 TEST 1 and TEST 2.
const rfc = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

const paths = { native: verifyNative, webcrypto: verifyWebCrypto, noble: verifyNoble, default: verify } as const;

describe('Ed25519 signing', () => {
  it('matches RFC 8032 on every path', async () => {
    for (const t of rfc) {
      const seed = fromHex(t.seed);
      expect(toHex(publicKeyFromSeed(seed))).toBe(t.pk);
      expect(toHex(signWithSeed(seed, fromHex(t.msg)))).toBe(t.sig);
      const s = new SeedSigner(seed);
      expect(toHex(s.publicKey)).toBe(t.pk);
      expect(toHex(await s.sign(fromHex(t.msg)))).toBe(t.sig);
      expect(toHex(s.signSync(fromHex(t.msg)))).toBe(t.sig);
      for (const v of Object.values(paths)) expect(await v(fromHex(t.pk), fromHex(t.msg), fromHex(t.sig))).toBe(true);
    }
  });

  it('WebCrypto and noble signatures are identical and verify everywhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), async (seed, msg) => {
        const s = new SeedSigner(seed);
        const a = await s.sign(msg);
        expect(a).toEqual(s.signSync(msg));
        expect(verifyNobleSync(s.publicKey, msg, a)).toBe(true);
        expect(await verifyWebCrypto(s.publicKey, msg, a)).toBe(true);
        expect(verifyNativeSync(s.publicKey, msg, a)).toBe(true);
        const other = msg.length === 0 ? new Uint8Array([0]) : msg.map((x, i) => (i === 0 ? x ^ 1 : x));
        expect(verifyNobleSync(s.publicKey, other, a)).toBe(false);
        expect(await verifyWebCrypto(s.publicKey, other, a)).toBe(false);
        expect(verifyNativeSync(s.publicKey, other, a)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps the seed private and validates it', () => {
    const seed = new Uint8Array(32).fill(7);
    const s = new SeedSigner(seed);
    seed[0] = 1;
    expect(s.exportSeed()).toEqual(new Uint8Array(32).fill(7));
    expect(() => new SeedSigner(new Uint8Array(31))).toThrow('Ed25519 seed must be 32 bytes');
    expect(SeedSigner.generate().publicKey).toHaveLength(32);
  });

  it('signs and verifies namespaced messages', async () => {
    const s = new SeedSigner(new Uint8Array(32).fill(3));
    const sig = await signNamespaced(s, TREE_LEAF_NAMESPACE, utf8('checksum'));
    expect(await verifyNamespaced(s.publicKey, TREE_LEAF_NAMESPACE, utf8('checksum'), sig)).toBe(true);
    expect(await verifyNamespaced(s.publicKey, 'sigsum.org/v1/submit-token', utf8('checksum'), sig)).toBe(false);
    expect(await verify(s.publicKey, utf8('checksum'), sig)).toBe(false);
    expect(keyHash(s.publicKey)).toEqual(sha256(s.publicKey));
  });
});

describe('Ed25519 verification edge cases', () => {
  const t = rfc[1]!;
  const pk = fromHex(t.pk);
  const msg = fromHex(t.msg);
  const sig = fromHex(t.sig);

  for (const [name, v] of Object.entries(paths)) {
    it(`${name}: returns false on malformed input instead of throwing`, async () => {
      expect(await v(pk.subarray(0, 31), msg, sig)).toBe(false);
      expect(await v(pk, msg, sig.subarray(0, 63))).toBe(false);
      expect(await v(pk, msg, new Uint8Array(65))).toBe(false);
      expect(await v('nope' as unknown as Uint8Array, msg, sig)).toBe(false);
      expect(await v(pk, 'nope' as unknown as Uint8Array, sig)).toBe(false);
      // Not a point: y = 2 has no x on the curve.
      const notPoint = new Uint8Array(32);
      notPoint[0] = 2;
      expect(await v(notPoint, msg, sig)).toBe(false);
    });

    it(`${name}: rejects S + L (non-canonical S) and S ≥ 2^253`, async () => {
      const s = [...sig.subarray(32)].reverse().reduce((a, b) => (a << 8n) | BigInt(b), 0n);
      const big = new Uint8Array(sig);
      let x = s + L;
      for (let i = 32; i < 64; i++, x >>= 8n) big[i] = Number(x & 0xffn);
      expect(await v(pk, msg, big)).toBe(false);
      const top = new Uint8Array(sig);
      top[63]! |= 0x20;
      expect(await v(pk, msg, top)).toBe(false);
    });

    it(`${name}: rejects every single-bit flip of the signature`, async () => {
      for (let bit = 0; bit < 512; bit += 7) {
        const bad = new Uint8Array(sig);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(await v(pk, msg, bad)).toBe(false);
      }
    });
  }

  it('WebCrypto accepts views of larger and shared buffers', async () => {
    const big = new Uint8Array(100);
    big.set(sig, 10);
    expect(await verifyWebCrypto(pk, msg, big.subarray(10, 74))).toBe(true);
    const shared = new Uint8Array(new SharedArrayBuffer(1));
    shared.set(msg);
    expect(await verifyWebCrypto(pk, shared, sig)).toBe(true);
    expect(verifyNativeSync(pk, msg, big.subarray(10, 74))).toBe(true);
    expect(verifyNativeSync(pk, shared, sig)).toBe(true);
  });

  it('native: keeps verifying correctly across key-object cache evictions (1024 keys)', () => {
    clearNativeKeyCache();
    const m = utf8('cache');
    const one = new SeedSigner(sha256(utf8('one')));
    const sig1 = one.signSync(m);
    expect(verifyNativeSync(one.publicKey, m, sig1)).toBe(true);
    // 1100 other keys push `one` out of the cache; a stale entry would give a wrong verdict.
    for (let i = 0; i < 1100; i++) {
      const pk = publicKeyFromSeed(sha256(new Uint8Array([i & 0xff, i >> 8])));
      expect(verifyNativeSync(pk, m, sig1)).toBe(false);
    }
    expect(verifyNativeSync(one.publicKey, m, sig1)).toBe(true);
    expect(verifyNativeSync(one.publicKey, utf8('other'), sig1)).toBe(false);
  });

  it('verifies with the new bytes of a key array changed in place after it was cached', async () => {
    const m = utf8('in place');
    const a = new SeedSigner(sha256(utf8('key a')));
    const b = new SeedSigner(sha256(utf8('key b')));
    const sigA = a.signSync(m);
    const sigB = b.signSync(m);
    for (const v of [verifyNative, verifyWebCrypto]) {
      const key = a.publicKey.slice();
      expect(await v(key, m, sigA)).toBe(true);
      key.set(b.publicKey);
      expect(await v(key, m, sigA)).toBe(false);
      expect(await v(key, m, sigB)).toBe(true);
    }
  });

  it('keeps verifying correctly across key cache evictions', async () => {
    clearEd25519KeyCache();
    const signers = Array.from({ length: 80 }, (_, i) => new SeedSigner(sha256(new Uint8Array([i]))));
    const m = utf8('cache');
    const sigs = signers.map((s) => s.signSync(m));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < signers.length; i++) {
        expect(await verifyWebCrypto(signers[i]!.publicKey, m, sigs[i]!)).toBe(true);
        expect(await verifyWebCrypto(signers[i]!.publicKey, m, sigs[(i + 1) % signers.length]!)).toBe(false);
      }
    }
  });

  it("picks Node's crypto in Node 20 after the conformance probe", async () => {
    expect(await ed25519Backend()).toBe('native');
    expect(await ed25519Backend()).toBe(await ed25519Backend());
  });
});
