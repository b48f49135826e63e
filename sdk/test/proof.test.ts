import { describe, expect, it } from 'vitest';
import {
  ParseError,
  PROOF_STEPS,
  fromHex,
  keyHash,
  parsePolicy,
  parseProof,
  serializeProof,
  sha256,
  toHex,
  verifyProof,
  verifyProofForData,
  verifyProofForMessage,
  type ProofRejected,
  type ProofVerification,
  type SigsumProof,
} from '@sigsum-kit/sdk';
import { makeProof, testSigner } from './fixtures/make-proof.js';
import { parseErrorOf } from './parse-error.js';

const parseError = (text: string): ParseError => parseErrorOf(() => parseProof(text));

function rejected(r: ProofVerification): ProofRejected {
  if (r.ok) throw new Error('expected a rejection');
  return r;
}

describe('proof format', () => {
  it('serializes version 2 and parses it back; size 1 has no inclusion block', async () => {
    for (const [size, index] of [
      [1, 0],
      [2, 1],
      [7, 3],
    ] as const) {
      const f = await makeProof({ size, index, witnessCount: 2 });
      const text = serializeProof(f.proof);
      const blocks = text.split('\n\n');
      expect(blocks).toHaveLength(size === 1 ? 2 : 3);
      expect(text.startsWith(`version=2\nlog=${toHex(f.proof.logKeyHash)}\nleaf=${toHex(f.proof.leaf.keyHash)} ${toHex(f.proof.leaf.signature)}\n\nsize=${size}\n`)).toBe(true);
      const p = parseProof(text);
      expect(serializeProof(p)).toBe(text);
      expect(p.inclusion.leafIndex).toBe(BigInt(index));
      expect(p.treeHead.cosignatures).toHaveLength(2);
      expect(parseProof(new TextEncoder().encode(text)).treeHead.size).toBe(BigInt(size));
    }
  });

  it('reads version 1 (short checksum only length-checked) and writes it as version 2', async () => {
    const f = await makeProof({ size: 5, index: 2, witnessCount: 1 });
    const v2 = serializeProof(f.proof);
    const v1 = v2.replace('version=2', 'version=1').replace('leaf=', 'leaf=abcd ');
    const p = parseProof(v1);
    expect([p.version, toHex(p.leaf.shortChecksum!)]).toEqual([1, 'abcd']);
    expect(serializeProof(p)).toBe(v2);
    const policy = parsePolicy(f.policyText);
    expect((await verifyProof(p, { data: f.data, submitterKeys: [f.submitter.publicKey], policy })).ok).toBe(true);
    let e = parseError(v2.replace('version=2', 'version=1').replace('leaf=', 'leaf=abcdef '));
    expect([e.code, e.where]).toEqual(['proof.short-checksum', 'line 3 (leaf)']);
    e = parseError(v2.replace('version=2', 'version=1').replace('leaf=', 'leaf=zz00 '));
    expect([e.code, e.where]).toEqual(['hex.char', 'line 3 (leaf) short checksum']);
  });

  it('rejects every kind of malformed proof with code and line', async () => {
    const f = await makeProof({ size: 7, index: 3, witnessCount: 2 });
    const ok = serializeProof(f.proof);
    const lines = ok.split('\n');
    const sub = (i: number, line: string) => lines.map((l, j) => (j === i ? line : l)).join('\n');
    const drop = (i: number) => lines.filter((_, j) => j !== i).join('\n');
    const nodeLines = lines.filter((l) => l.startsWith('node_hash=')).length;
    const cases: [string, string, string | undefined][] = [
      ['', 'ascii.eof', 'line 1 (version)'],
      [ok.replace('version=2', 'version=3'), 'proof.version', 'line 1 (version)'],
      [ok.replace('version=2', 'version=02'), 'integer.syntax', 'line 1 (version)'],
      [ok.replace(/\n/g, '\r\n'), 'integer.syntax', 'line 1 (version)'],
      [`\n${ok}`, 'ascii.empty-line', 'line 1 (version)'],
      [`# proof\n${ok}`, 'ascii.syntax', 'line 1 (version)'],
      [`\ufeff${ok}`, 'ascii.order', 'line 1 (version)'],
      [drop(1), 'ascii.order', 'line 2 (log)'],
      [sub(1, lines[1]!.slice(0, -2)), 'hex.length', 'line 2 (log)'],
      [sub(2, lines[2]!.replace(' ', '  ')), 'ascii.fields', 'line 3 (leaf)'],
      [sub(2, lines[2]!.replace(' ', '\t')), 'ascii.fields', 'line 3 (leaf)'],
      [sub(2, `${lines[2]!} `), 'ascii.fields', 'line 3 (leaf)'],
      [drop(3), 'ascii.garbage', 'line 4'],
      [sub(3, '\n'), 'ascii.empty-line', 'line 5 (size)'],
      [sub(4, 'size=0'), 'proof.empty-tree', 'line 5 (size)'],
      [sub(4, 'size=07'), 'integer.syntax', 'line 5 (size)'],
      [sub(4, 'size=+7'), 'integer.syntax', 'line 5 (size)'],
      [sub(4, 'size=9223372036854775808'), 'integer.range', 'line 5 (size)'],
      [sub(4, 'size =7'), 'ascii.order', 'line 5 (size)'],
      [sub(5, lines[5]!.slice(0, -2)), 'hex.length', 'line 6 (root_hash)'],
      [drop(6), 'ascii.order', 'line 7 (signature)'],
      [sub(7, lines[7]! + ' x'), 'ascii.fields', 'line 8 (cosignature)'],
      [sub(8, lines[7]!), 'cosignature.duplicate', 'line 9 (cosignature)'],
      [sub(7, lines[7]!.replace(' 1700000000 ', ' 01700000000 ')), 'integer.syntax', 'line 8 (cosignature) timestamp'],
      [drop(9), 'ascii.order', 'line 10 (cosignature)'],
      [lines.slice(0, 9).join('\n') + '\n', 'proof.missing-inclusion', 'line 10'],
      [lines.slice(0, 10).join('\n') + '\n', 'ascii.eof', 'line 11 (leaf_index)'],
      [sub(10, 'leaf_index=03'), 'integer.syntax', 'line 11 (leaf_index)'],
      [lines.slice(0, 11).join('\n') + '\n', 'ascii.count', 'line 12 (node_hash)'],
      [ok + '\n', 'ascii.empty-line', `line ${12 + nodeLines} (node_hash)`],
      [ok + 'foo=bar\n', 'ascii.order', `line ${12 + nodeLines} (node_hash)`],
      [ok.slice(0, -1), 'ascii.unterminated', `line ${11 + nodeLines} (node_hash)`],
      [ok.slice(0, -1) + '\r\n', 'hex.length', `line ${11 + nodeLines} (node_hash)`],
      [ok + `${lines[11]!}\n`.repeat(64 - nodeLines), 'ascii.count', 'line 75 (node_hash)'],
    ];
    for (const [text, code, where] of cases) {
      const e = parseError(text);
      expect([text.slice(0, 40), e.code, e.where]).toEqual([text.slice(0, 40), code, where]);
    }
    // Size 1: no inclusion block, and nothing after the cosignatures.
    const one = serializeProof((await makeProof({ size: 1, index: 0, witnessCount: 1 })).proof);
    expect(parseError(one + '\n').code).toBe('proof.trailing-block');
    expect(parseError(one + '\nleaf_index=0\nnode_hash=' + '00'.repeat(32) + '\n').code).toBe('proof.trailing-block');
    expect(parseError(one.replace('size=1', 'size=2')).code).toBe('proof.missing-inclusion');
  });

  it('refuses to serialize impossible proofs', async () => {
    const f = await makeProof({ size: 2, index: 0, witnessCount: 0 });
    const p = f.proof;
    const variants: SigsumProof[] = [
      { ...p, treeHead: { ...p.treeHead, size: 0n } },
      { ...p, inclusion: { leafIndex: 0n, path: [] } },
      { ...p, treeHead: { ...p.treeHead, size: 1n } },
      { ...p, logKeyHash: new Uint8Array(31) },
      { ...p, leaf: { ...p.leaf, signature: new Uint8Array(63) } },
      { ...p, inclusion: { leafIndex: 0n, path: Array.from({ length: 64 }, () => new Uint8Array(32)) } },
    ];
    for (const v of variants) expect(() => serializeProof(v)).toThrow(TypeError);
  });
});

describe('verifyProof', () => {
  it('accepts a valid proof given the data, the message (raw hash) or parsed keys, with per-step details', async () => {
    const f = await makeProof({ size: 7, index: 3, witnessCount: 3, threshold: 2 });
    const policy = parsePolicy(f.policyText);
    const keys = [testSigner('other').publicKey, f.submitter.publicKey];
    const r = await verifyProofForData(f.proof, f.data, keys, policy);
    expect(r.ok).toBe(true);
    const d = r.details;
    expect(toHex(d.message!)).toBe(toHex(sha256(f.data)));
    expect(toHex(d.checksum!)).toBe(toHex(sha256(sha256(f.data))));
    expect(toHex(d.submitterKey!)).toBe(toHex(f.submitter.publicKey));
    expect([d.leafSignatureValid, d.logSignatureValid, d.quorum, d.treeSize, d.leafIndex]).toEqual([true, true, true, 7n, 3n]);
    expect(d.cosignatures.map((c) => [c.witness?.name, c.status])).toEqual([
      ['W1', 'verified'],
      ['W2', 'verified'],
      ['W3', 'verified'],
    ]);
    expect(d.computedRoot).toBe(d.rootHash);
    expect(d.inclusionPath).toHaveLength(3);
    expect((await verifyProofForMessage(f.proof, sha256(f.data), [f.submitter.publicKey], policy)).ok).toBe(true);
    expect((await verifyProof(f.proof, { data: f.data, submitterKeys: [{ publicKey: f.submitter.publicKey }], policy })).ok).toBe(true);
    // Size 1: the leaf hash is the root.
    const one = await makeProof({ size: 1, index: 0, witnessCount: 1 });
    expect((await verifyProofForData(one.proof, one.data, [one.submitter.publicKey], parsePolicy(one.policyText))).ok).toBe(true);
  });

  it('names the failing step: 1 checksum, 2 submitter, 3 leaf signature, 4 log, 5 cosignatures, 6 inclusion', async () => {
    const f = await makeProof({ size: 7, index: 3, witnessCount: 3, threshold: 2 });
    const policy = parsePolicy(f.policyText);
    const base = { data: f.data, submitterKeys: [f.submitter.publicKey], policy };
    const p = f.proof;
    const th = p.treeHead;
    const cs = th.cosignatures;
    const check = async (r: Promise<ProofVerification>, step: number, code: string, message: RegExp) => {
      const x = rejected(await r);
      expect([x.step, x.stepName, x.code]).toEqual([step, PROOF_STEPS[step - 1], code]);
      expect(x.message).toMatch(message);
      return x;
    };
    await check(verifyProof(p, { message: new Uint8Array(31), submitterKeys: base.submitterKeys, policy }), 1, 'proof.message-size', /32 bytes/);
    await check(verifyProof(p, { submitterKeys: base.submitterKeys, policy } as never), 1, 'proof.input', /either data or message/);
    await check(verifyProof(p, { ...base, submitterKeys: [testSigner('other').publicKey, new Uint8Array(5)] }), 2, 'proof.unknown-submitter', /matches none of the 2/);
    const s3 = await check(verifyProof(p, { ...base, data: new Uint8Array([1]) }), 3, 'proof.leaf-signature', /not valid/);
    expect(s3.details.leafSignatureValid).toBe(false);
    await check(verifyProof({ ...p, logKeyHash: keyHash(f.submitter.publicKey) }, base), 4, 'proof.unknown-log', /not in the policy/);
    const s4 = await check(verifyProof({ ...p, treeHead: { ...th, signature: cs[0]!.signature } }, base), 4, 'proof.log-signature', /invalid log signature/);
    expect(s4.details.logSignatureValid).toBe(false);
    const s5 = await check(verifyProof({ ...p, treeHead: { ...th, cosignatures: [cs[0]!, { ...cs[1]!, timestamp: 1n }] } }, base), 5, 'proof.quorum', /2 given, 1 verified, 1 failed/);
    expect(s5.details.cosignatures.map((c) => c.status)).toEqual(['verified', 'invalid']);
    await check(verifyProof({ ...p, treeHead: { ...th, cosignatures: [cs[0]!, cs[0]!] } }, base), 5, 'proof.duplicate-cosignature', /duplicate/);
    await check(verifyProof({ ...p, inclusion: { ...p.inclusion, leafIndex: 2n } }, base), 6, 'inclusion.root-mismatch', /root hash/);
    await check(verifyProof({ ...p, inclusion: { ...p.inclusion, leafIndex: 7n } }, base), 6, 'inclusion.index-range', /not below tree size 7/);
    await check(verifyProof({ ...p, inclusion: { ...p.inclusion, path: p.inclusion.path.slice(1) } }, base), 6, 'inclusion.path-length', /expected 3/);
    // An invalid cosignature is harmless while the quorum holds; unknown witnesses are ignored.
    const extra = (await makeProof({ size: 7, index: 3, witnessCount: 1, label: 'stranger' })).proof.treeHead.cosignatures[0]!;
    const tolerant = await verifyProof({ ...p, treeHead: { ...th, cosignatures: [extra, cs[0]!, cs[1]!, { ...cs[2]!, signature: fromHex('00'.repeat(64)) }] } }, base);
    expect(tolerant.ok).toBe(true);
    expect(tolerant.details.cosignatures.map((c) => c.status)).toEqual(['unknown-witness', 'verified', 'verified', 'invalid']);
    // Size 1 with a different leaf: step 6 with the size-1 wording.
    const one = await makeProof({ size: 1, index: 0, witnessCount: 0 });
    const other = await makeProof({ size: 2, index: 1, witnessCount: 0 });
    const mixed: SigsumProof = { ...one.proof, treeHead: { ...one.proof.treeHead } };
    const r = await verifyProof({ ...mixed, leaf: { ...mixed.leaf } }, { data: one.data, submitterKeys: [one.submitter.publicKey], policy: parsePolicy(one.policyText) });
    expect(r.ok).toBe(true);
    const bad = await verifyProof(one.proof, { data: other.data, submitterKeys: [one.submitter.publicKey], policy: parsePolicy(one.policyText) });
    expect(rejected(bad).step).toBe(3);
  });
});

describe('parseProof robustness', () => {
  it('either parses or throws a ParseError, for arbitrary text and mutations of a valid proof', async () => {
    const fc = (await import('fast-check')).default;
    const text = serializeProof((await makeProof({ size: 7, index: 3, witnessCount: 2, label: 'fuzz' })).proof);
    const total = (s: string) => {
      try {
        parseProof(s);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 300 }), total), { numRuns: 300 });
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.constantFrom(...'0a9fF=\n\r -x'.split('')), fc.boolean(), (i, c, insert) =>
        total(text.slice(0, i) + c + text.slice(insert ? i : i + 1)),
      ),
      { numRuns: 600 },
    );
  });
});

describe('verifyProof robustness', () => {
  it('returns a verdict (never throws) for every mutation of a valid proof that still parses', async () => {
    const fc = (await import('fast-check')).default;
    const f = await makeProof({ size: 7, index: 3, witnessCount: 2, threshold: 1, label: 'fuzz-verify' });
    const text = serializeProof(f.proof);
    const policy = parsePolicy(f.policyText);
    let parsed = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(text.length - 1), fc.constantFrom(...'0123456789abcdef'.split('')), async (i, c) => {
        let p: SigsumProof;
        try {
          p = parseProof(text.slice(0, i) + c + text.slice(i + 1));
        } catch {
          return;
        }
        parsed++;
        const r = await verifyProof(p, { data: f.data, submitterKeys: [f.submitter.publicKey], policy });
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(PROOF_STEPS[r.step - 1]).toBe(r.stepName);
      }),
      { numRuns: 200 },
    );
    expect(parsed).toBeGreaterThan(50);
  });
});
