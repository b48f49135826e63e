// The asynchronous SHA-256 of the verification path (`crypto/digest.ts`) and
// the policy's key hashes computed on demand: Node's native hash, the bundle's
// synchronous @noble/hashes, WebCrypto's `subtle.digest` where there is
// neither (a browser bundle of the verifier alone), and @noble/hashes loaded
// on demand where there is no WebCrypto either; the same bytes and the same
// proof verdicts on each.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CaseResult } from '../../test-vectors/suite/types.js';

const realBuiltin = process.getBuiltinModule.bind(process);

/** A runtime without Node's crypto module (as a browser), so without the native hash. */
function withoutNodeCrypto(): void {
  vi.spyOn(process, 'getBuiltinModule').mockImplementation(((id: string) =>
    id === 'crypto' || id === 'node:crypto' ? undefined : realBuiltin(id)) as typeof process.getBuiltinModule);
}

const nodeSha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

/**
 * The proof vectors run with freshly loaded SDK modules (so under the stubs in
 * place); `bundledSha256` false drops the synchronous fallback that loading
 * `sha256.ts` registers, as in a bundle that never calls `sha256()`.
 */
async function proofVerdicts(bundledSha256: boolean): Promise<CaseResult[]> {
  vi.resetModules();
  const { checkProofs } = await import('../../test-vectors/suite/proofs.js');
  if (!bundledSha256) (await import('../src/crypto/digest.js')).registerSyncSha256(undefined);
  return checkProofs();
}

const failures = (r: CaseResult[]) => r.filter((c) => !c.pass).map((c) => `${c.name}: expected ${c.expected}, got ${c.got} ${c.detail ?? ''}`);

const POLICY = 'log 4644af2abd40f4895a003bca350f9d5912ab301a49c77f13e5b6d905c20a5fe6\nwitness w1 1c997261f16e6e81d13f420900a2542a4b6a049c2d996324ee5d82a90ca3360c\ngroup g any w1\nquorum g\n';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('digest', () => {
  const inputs = [0, 1, 32, 55, 56, 64, 65, 129, 1000].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));

  it('gives SHA-256 on the native, WebCrypto and pure-JS paths', async () => {
    const native = await import('../src/crypto/digest.js');
    withoutNodeCrypto();
    vi.resetModules();
    const webcrypto = await import('../src/crypto/digest.js');
    const digestSpy = vi.spyOn(globalThis.crypto.subtle, 'digest');
    vi.stubGlobal('crypto', undefined);
    vi.resetModules();
    const noble = await import('../src/crypto/digest.js');
    for (const b of inputs) {
      expect(await native.digest(b)).toEqual(nodeSha256(b));
      expect(await noble.digest(b)).toEqual(nodeSha256(b));
    }
    vi.unstubAllGlobals();
    for (const b of inputs) expect(await webcrypto.digest(b)).toEqual(nodeSha256(b));
    expect(digestSpy).toHaveBeenCalledTimes(inputs.length);
  });
});

describe('proof verification without a native hash', () => {
  it("hashes with the bundle's synchronous @noble/hashes when it has one, not WebCrypto", async () => {
    withoutNodeCrypto();
    const digestSpy = vi.spyOn(globalThis.crypto.subtle, 'digest');
    const results = await proofVerdicts(true);
    expect(failures(results)).toEqual([]);
    expect(digestSpy).not.toHaveBeenCalled();
  });

  it('hashes with WebCrypto without a synchronous hash and gives Go verdicts on every proof vector', async () => {
    withoutNodeCrypto();
    const digestSpy = vi.spyOn(globalThis.crypto.subtle, 'digest');
    const results = await proofVerdicts(false);
    expect(results.length).toBeGreaterThanOrEqual(528);
    expect(failures(results)).toEqual([]);
    // Every hash of the verification went through WebCrypto: the data, the message, the submitter key, the leaf and each node.
    const { loadSigsumVectors } = await import('@sigsum-kit/test-vectors');
    const c = (await loadSigsumVectors('proofs')).cases.find((x) => x.expect === 'valid' && BigInt(x.tree_size) > 2n)!;
    const sdk = await import('../src/index.js');
    const proof = sdk.parseProof(c.proof);
    const keys = sdk.parseOpenSshPublicKeys(c.key_file);
    digestSpy.mockClear();
    expect((await sdk.verifyProof(proof, { data: sdk.fromHex(c.data), submitterKeys: keys, policy: sdk.parsePolicy(c.policy) })).ok).toBe(true);
    const hashed = digestSpy.mock.calls.map(([, b]) => Buffer.from(b as Uint8Array).toString('hex'));
    const leaf = Buffer.concat([Buffer.from([0]), nodeSha256(sdk.fromHex(c.message)), proof.leaf.signature, proof.leaf.keyHash]).toString('hex');
    expect(hashed).toEqual(expect.arrayContaining([c.data, c.message, Buffer.from(keys[0]!.publicKey).toString('hex'), leaf]));
    expect(hashed.filter((h) => h.length === 130 && h.startsWith('01'))).toHaveLength(proof.inclusion.path.length);
  });

  it('hashes with @noble/hashes loaded on demand without WebCrypto and gives Go verdicts on every proof vector', async () => {
    withoutNodeCrypto();
    vi.stubGlobal('crypto', undefined);
    const results = await proofVerdicts(false);
    expect(results.length).toBeGreaterThanOrEqual(528);
    expect(failures(results)).toEqual([]);
  });
});

describe('policy key hashes', () => {
  it('are computed on demand: without a synchronous SHA-256, after hashKeys()', async () => {
    // Only the policy module (no synchronous sha256 loaded), in a runtime without Node's hash: a browser bundle of the verifier.
    withoutNodeCrypto();
    vi.resetModules();
    const { parsePolicy } = await import('../src/policy/policy.js');
    const p = parsePolicy(POLICY);
    expect(() => p.logs[0]!.keyHash).toThrow('no synchronous SHA-256 in this bundle: await policy.hashKeys() first');
    expect(() => p.findLog(new Uint8Array(32))).toThrow('no synchronous SHA-256');
    await p.hashKeys();
    const log = p.logs[0]!;
    const logKey = Buffer.from('4644af2abd40f4895a003bca350f9d5912ab301a49c77f13e5b6d905c20a5fe6', 'hex');
    expect(log.keyHash).toEqual(nodeSha256(logKey));
    expect(log.keyHashHex).toBe(Buffer.from(nodeSha256(logKey)).toString('hex'));
    expect(p.findLog(log.keyHashHex)).toBe(log);
    expect(p.findWitness(p.witnesses[0]!.keyHash)).toBe(p.witnesses[0]);
    expect(p.quorumHolds([p.witnesses[0]!.keyHashHex.toUpperCase()])).toBe(true);
    expect(p.quorumHolds([])).toBe(false);
  });

  it('hashKeys() tries again after a failed hash', async () => {
    withoutNodeCrypto();
    vi.resetModules();
    const { parsePolicy } = await import('../src/policy/policy.js');
    const p = parsePolicy(POLICY);
    const digest = vi.spyOn(globalThis.crypto.subtle, 'digest').mockRejectedValueOnce(new Error('digest failed'));
    await expect(p.hashKeys()).rejects.toThrow('digest failed');
    digest.mockRestore();
    await p.hashKeys();
    expect(p.findWitness(p.witnesses[0]!.keyHashHex)).toBe(p.witnesses[0]);
  });

  it('are plain enumerable fields on Node, equal to SHA-256 of the key', async () => {
    const { parsePolicy } = await import('../src/index.js');
    const p = parsePolicy(POLICY);
    const w = p.witnesses[0]!;
    expect(Object.keys(w)).toEqual(expect.arrayContaining(['name', 'publicKey', 'keyHash', 'keyHashHex', 'url', 'line']));
    expect({ ...w }.keyHash).toEqual(nodeSha256(w.publicKey));
    expect(w.keyHash).toBe(w.keyHash);
  });
});
