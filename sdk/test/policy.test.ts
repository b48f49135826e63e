import { describe, expect, it } from 'vitest';
import {
  ParseError,
  SeedSigner,
  builtinPolicyNames,
  cosignTreeHead,
  getBuiltinPolicy,
  kOfNPolicy,
  keyHash,
  parsePolicy,
  sha256,
  signTreeHead,
  toHex,
  utf8,
  verifyCosignedTreeHead,
  type Cosignature,
  type QuorumNode,
} from '@sigsum-kit/sdk';
import { parseErrorOf } from './parse-error.js';

const signer = (i: number) => new SeedSigner(sha256(utf8(`policy-test-${i}`)));
const LOG = signer(0);
const W = [1, 2, 3, 4].map(signer);
const hex = (s: SeedSigner) => toHex(s.publicKey);
const kh = (s: SeedSigner) => toHex(keyHash(s.publicKey));

const TWO_OF_THREE = `log ${hex(LOG)} https://log.example/
witness A ${hex(W[0]!)} https://a.example/
witness B ${hex(W[1]!)}
witness C ${hex(W[2]!)}
group G 2 A B C
quorum G
`;

const parseError = (text: string | Uint8Array): ParseError => parseErrorOf(() => parsePolicy(text));

describe('parsePolicy', () => {
  it('exposes logs, witnesses and the quorum tree, and looks up by key hash', () => {
    const p = parsePolicy(TWO_OF_THREE);
    expect(p.logs.map((l) => [l.keyHashHex, l.url, l.line])).toEqual([[kh(LOG), 'https://log.example/', 1]]);
    expect(p.witnesses.map((w) => [w.name, w.keyHashHex, w.url])).toEqual([
      ['A', kh(W[0]!), 'https://a.example/'],
      ['B', kh(W[1]!), undefined],
      ['C', kh(W[2]!), undefined],
    ]);
    expect(p.quorum.kind === 'group' && p.quorum.threshold).toBe(2);
    expect(p.findLog(keyHash(LOG.publicKey))?.line).toBe(1);
    expect(p.findLog(kh(LOG).toUpperCase())?.line).toBe(1);
    expect(p.findLog(keyHash(W[0]!.publicKey))).toBeUndefined();
    expect(p.findWitness(kh(W[1]!))?.name).toBe('B');
  });

  it('evaluates k-of-n quorums, nested groups, any/all, none', () => {
    const p = parsePolicy(TWO_OF_THREE);
    expect(p.quorumHolds([kh(W[0]!)])).toBe(false);
    expect(p.quorumHolds([kh(W[0]!), keyHash(W[2]!.publicKey)])).toBe(true);
    expect(p.quorumHolds([kh(W[0]!), kh(W[3]!)])).toBe(false);
    const nested = parsePolicy(`witness A ${hex(W[0]!)}\nwitness B ${hex(W[1]!)}\nwitness C ${hex(W[2]!)}\nwitness D ${hex(W[3]!)}
group AB all A B\ngroup CD any C D\ngroup Q all AB CD\nquorum Q\n`);
    expect(nested.quorumHolds([kh(W[0]!), kh(W[1]!), kh(W[3]!)])).toBe(true);
    expect(nested.quorumHolds([kh(W[0]!), kh(W[2]!), kh(W[3]!)])).toBe(false);
    const none = parsePolicy(`log ${hex(LOG)}\nquorum none\n`);
    expect(none.quorumHolds([])).toBe(true);
    expect((none.quorum as Extract<QuorumNode, { kind: 'group' }>).members).toEqual([]);
  });

  it('accepts Go-compatible spellings: CRLF, tabs, comments, +1 and 02 thresholds, upper-case hex, non-UTF-8 bytes', () => {
    expect(parsePolicy(TWO_OF_THREE.replace(/\n/g, '\r\n')).witnesses).toHaveLength(3);
    expect(parsePolicy(TWO_OF_THREE.replace(/ /g, ' \t ').replace('group G 2', '  # c\ngroup G 2')).witnesses).toHaveLength(3);
    expect(parsePolicy(TWO_OF_THREE.replace('G 2', 'G +2')).quorumHolds([kh(W[0]!), kh(W[1]!)])).toBe(true);
    expect(parsePolicy(TWO_OF_THREE.replace('G 2', 'G 02')).quorumHolds([kh(W[0]!)])).toBe(false);
    expect(parsePolicy(TWO_OF_THREE.toUpperCase().replace(/WITNESS/g, 'witness').replace(/LOG/g, 'log').replace('GROUP', 'group').replace('QUORUM', 'quorum').replace(/HTTPS:\/\/[^\n]*/g, '')).logs).toHaveLength(1);
    const bytes = new Uint8Array([...utf8('# caf'), 0xe9, 0xff, ...utf8(`\nwitness w`), 0xfc, ...utf8(` ${hex(W[0]!)}\nquorum w`), 0xfc, 10]);
    expect(parsePolicy(bytes).witnesses[0]!.name).toBe('w\ufffd');
    expect(parsePolicy(`witness wïtness ${hex(W[0]!)}\nquorum wïtness\n`).witnesses[0]!.name).toBe('wïtness');
    expect(parsePolicy('quorum none').logs).toEqual([]);
  });

  it('supports at least 32 logs, 32 witnesses and 32 groups', () => {
    let text = '';
    const members: string[] = [];
    for (let i = 0; i < 40; i++) {
      text += `log ${hex(signer(100 + i))}\nwitness w${i} ${hex(signer(200 + i))}\ngroup g${i} any w${i}\n`;
      members.push(`g${i}`);
    }
    text += `group top 32 ${members.join(' ')}\nquorum top\n`;
    const p = parsePolicy(text);
    expect([p.logs.length, p.witnesses.length]).toEqual([40, 40]);
    const some = Array.from({ length: 32 }, (_, i) => kh(signer(200 + i)));
    expect(p.quorumHolds(some)).toBe(true);
    expect(p.quorumHolds(some.slice(1))).toBe(false);
  });

  it('rejects every kind of bad policy with code and line', () => {
    const k1 = hex(W[0]!);
    const k2 = hex(W[1]!);
    const cases: [string, string, string | undefined, RegExp][] = [
      ['', 'policy.no-quorum', undefined, /no quorum defined/],
      [`log ${k1}\n`, 'policy.no-quorum', undefined, /no quorum/],
      ['log\nquorum none\n', 'policy.arguments', 'line 1', /log line: want <key> \[url\]/],
      [`log ${k1} u x\nquorum none\n`, 'policy.arguments', 'line 1', /want <key> \[url\]/],
      [`log ${k1} # comment\nquorum none\n`, 'policy.arguments', 'line 1', /want <key> \[url\]/],
      [`log ${k1.slice(2)}\nquorum none\n`, 'hex.length', 'line 1 (log key)', /expected 32 bytes/],
      [`log ${k1.slice(1)}g\nquorum none\n`, 'hex.char', 'line 1 (log key)', /invalid hex character "g"/],
      [`log ${k1}\nlog ${k1.toUpperCase()}\nquorum none\n`, 'policy.duplicate-log', 'line 2', /duplicate log key/],
      [`witness W\nquorum none\n`, 'policy.arguments', 'line 1', /witness line: want <name> <key> \[url\]/],
      [`witness W ${k1} u x\nquorum none\n`, 'policy.arguments', 'line 1', /want <name> <key> \[url\]/],
      [`witness ${k1} W\nquorum none\n`, 'hex.length', 'line 1 (witness key)', /expected 32 bytes/],
      [`witness W ${k1}\nwitness W ${k2}\nquorum W\n`, 'policy.duplicate-name', 'line 2', /duplicate name "W"/],
      [`witness W ${k1}\nwitness V ${k1}\nquorum W\n`, 'policy.duplicate-witness', 'line 2', /duplicate witness key/],
      [`witness none ${k1}\nquorum none\n`, 'policy.duplicate-name', 'line 1', /duplicate name "none"/],
      [`witness W ${k1}\ngroup G 1\nquorum W\n`, 'policy.arguments', 'line 2', /group line: want <name> <threshold> <member>/],
      [`witness W ${k1}\ngroup G two W\nquorum G\n`, 'policy.threshold', 'line 2', /invalid threshold "two"/],
      [`witness W ${k1}\ngroup G 1.0 W\nquorum G\n`, 'policy.threshold', 'line 2', /invalid threshold/],
      [`witness W ${k1}\ngroup G ANY W\nquorum G\n`, 'policy.threshold', 'line 2', /invalid threshold "ANY"/],
      [`witness W ${k1}\ngroup G 0 W\nquorum G\n`, 'policy.threshold', 'line 2', /out of range 1..1/],
      [`witness W ${k1}\ngroup G -1 W\nquorum G\n`, 'policy.threshold', 'line 2', /out of range/],
      [`witness W ${k1}\ngroup G 2 W\nquorum G\n`, 'policy.threshold', 'line 2', /out of range 1..1/],
      [`witness W ${k1}\ngroup G 99999999999999999999 W\nquorum G\n`, 'policy.threshold', 'line 2', /out of range/],
      [`witness W ${k1}\ngroup W any W\nquorum W\n`, 'policy.duplicate-name', 'line 2', /duplicate name "W"/],
      [`witness W ${k1}\ngroup none any W\nquorum none\n`, 'policy.duplicate-name', 'line 2', /duplicate name "none"/],
      [`witness W ${k1}\ngroup G any W none\nquorum G\n`, 'policy.member', 'line 2', /"none" cannot be a group member/],
      [`witness W ${k1}\ngroup G 1 W W\nquorum G\n`, 'policy.member', 'line 2', /"W" is already a member of "G"/],
      [`witness W ${k1}\ngroup A any W\ngroup B any W\nquorum B\n`, 'policy.member', 'line 3', /already a member of "A"/],
      [`witness W ${k1}\ngroup G any W X\nquorum G\n`, 'policy.undefined', 'line 2', /undefined name "X"/],
      [`group G any W\nwitness W ${k1}\nquorum G\n`, 'policy.undefined', 'line 1', /undefined name "W"/],
      [`witness W ${k1}\nquorum G\ngroup G any W\n`, 'policy.undefined', 'line 2', /undefined name "G"/],
      ['quorum NONE\n', 'policy.undefined', 'line 1', /undefined name "NONE"/],
      ['quorum\n', 'policy.arguments', 'line 1', /exactly one/],
      [`witness W ${k1}\nquorum W # c\n`, 'policy.arguments', 'line 2', /exactly one/],
      ['quorum none\nquorum none\n', 'policy.quorum-twice', 'line 2', /only be set once/],
      ['logs x\nquorum none\n', 'policy.keyword', 'line 1', /unknown keyword "logs"/],
      ['LOG x\n', 'policy.keyword', 'line 1', /unknown keyword "LOG"/],
      ['quorum none\r # x\n', 'policy.control', 'line 1', /0x0d/],
      ['quorum none\rlog x\n', 'policy.control', 'line 1', /0x0d/],
      ['# a\nquorum none\x00\n', 'policy.control', 'line 2', /0x00 at column 12/],
      ['# \x7f\nquorum none\n', 'policy.control', 'line 1', /0x7f/],
      ['# \x1b[1m\nquorum none\n', 'policy.control', 'line 1', /0x1b/],
      ['quorum\x0bnone\n', 'policy.control', 'line 1', /0x0b/],
      [`# ${'x'.repeat(70000)}\nquorum none\n`, 'policy.line-too-long', 'line 1', /longer than 65535/],
    ];
    for (const [text, code, where, message] of cases) {
      const e = parseError(text);
      expect([text.slice(0, 60), e.code, e.where]).toEqual([text.slice(0, 60), code, where]);
      expect(e.message).toMatch(message);
    }
    expect(parseError(new Uint8Array((1 << 20) + 1)).code).toBe('policy.size');
    expect(() => parsePolicy(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('builtin policies', () => {
  it('lists, parses and caches the builtin policies', () => {
    expect(builtinPolicyNames).toEqual(['sigsum-generic-2025-1', 'sigsum-test-2025-3', 'sigsum-test1-2025', 'sigsum-test2-2025']);
    const p = getBuiltinPolicy('sigsum-generic-2025-1');
    expect(getBuiltinPolicy('sigsum-generic-2025-1')).toBe(p);
    expect(p.logs.map((l) => l.url)).toEqual(['https://seasalp.glasklar.is', 'https://ginkgo.tlog.mullvad.net']);
    expect(p.witnesses.map((w) => w.name)).toEqual(['witness.glasklar.is', 'witness.mullvad.net', 'tillitis.se/tillitis-witness-1']);
  });

  it('rejects malformed and unknown names', () => {
    for (const [name, code] of [
      ['Sigsum', 'policy.name'],
      ['-x', 'policy.name'],
      ['a', 'policy.name'],
      ['../etc', 'policy.name'],
      ['no-such-policy', 'policy.unknown-builtin'],
      ['constructor', 'policy.unknown-builtin'],
    ] as const) {
      let err: unknown;
      try {
        getBuiltinPolicy(name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ParseError);
      expect([(err as ParseError).code, (err as ParseError).where]).toEqual([code, 'policy name']);
    }
  });
});

describe('verifyCosignedTreeHead', () => {
  const policy = parsePolicy(TWO_OF_THREE);
  const th = { size: 42n, rootHash: sha256(utf8('root')) };
  const cosign = (s: SeedSigner, ts = 1700000000n) => cosignTreeHead(s, th, keyHash(LOG.publicKey), ts);

  it('accepts a quorum, ignores unknown witnesses, tolerates an invalid cosignature when the quorum holds', async () => {
    const sth = await signTreeHead(LOG, th);
    const a = await cosign(W[0]!);
    const b = await cosign(W[1]!);
    const c = await cosign(W[2]!);
    const badC: Cosignature = { ...c, timestamp: c.timestamp + 1n };
    const unknown = await cosign(W[3]!);
    const r = await verifyCosignedTreeHead(policy, keyHash(LOG.publicKey), { ...sth, cosignatures: [unknown, a, badC, b] });
    expect(r.ok).toBe(true);
    expect(r.cosignatures.map((x) => [x.witness?.name, x.status])).toEqual([
      [undefined, 'unknown-witness'],
      ['A', 'verified'],
      ['C', 'invalid'],
      ['B', 'verified'],
    ]);
    expect(r.verifiedWitnesses).toEqual([kh(W[0]!), kh(W[1]!)]);
    expect([r.quorum, r.logSignatureValid, r.log?.url]).toEqual([true, true, 'https://log.example/']);
  });

  it('names each failure: unknown log, log signature, duplicate cosignature, quorum', async () => {
    const sth = await signTreeHead(LOG, th);
    const a = await cosign(W[0]!);
    const b = await cosign(W[1]!);
    let r = await verifyCosignedTreeHead(policy, keyHash(W[0]!.publicKey), { ...sth, cosignatures: [a, b] });
    expect([r.ok, r.failure, r.message]).toEqual([false, 'unknown-log', `log ${kh(W[0]!)} is not in the policy`]);
    r = await verifyCosignedTreeHead(policy, kh(LOG), { ...sth, size: 43n, cosignatures: [a, b] });
    expect([r.ok, r.failure, r.logSignatureValid]).toEqual([false, 'log-signature', false]);
    r = await verifyCosignedTreeHead(policy, kh(LOG), { ...sth, cosignatures: [a, b, a] });
    expect([r.ok, r.failure, r.message]).toEqual([false, 'duplicate-cosignature', `duplicate cosignature for key hash ${kh(W[0]!)}`]);
    r = await verifyCosignedTreeHead(policy, kh(LOG), { ...sth, cosignatures: [a, { ...b, signature: new Uint8Array(64) }, await cosign(W[3]!)] });
    expect([r.ok, r.failure, r.quorum]).toEqual([false, 'quorum', false]);
    expect(r.message).toBe('not enough cosignatures: 3 given, 1 verified, 1 failed to verify');
  });
});

describe('parsePolicy robustness', () => {
  it('either parses or throws a ParseError, for arbitrary bytes and for mutations of a valid policy', async () => {
    const fc = (await import('fast-check')).default;
    const total = (input: string | Uint8Array) => {
      try {
        parsePolicy(input);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => total(b)), { numRuns: 300 });
    const base = utf8(TWO_OF_THREE);
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(base.length), (i, v, cut) => {
        const b = base.slice(0, cut === 0 ? base.length : cut);
        if (i < b.length) b[i] = v;
        total(b);
        total(new TextDecoder().decode(b));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parsePolicy byte semantics', () => {
  it('measures limits in UTF-8 bytes and keeps a BOM as an opaque first field', () => {
    const e = parseError(`# ${'é'.repeat(33000)}\nquorum none\n`);
    expect([e.code, e.where]).toEqual(['policy.line-too-long', 'line 1']);
    expect(parsePolicy(`# ${'é'.repeat(32000)}\nquorum none\n`).logs).toEqual([]);
    const bom = parseError(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('quorum none\n')]));
    expect([bom.code, bom.message]).toEqual(['policy.keyword', 'line 1: unknown keyword "\ufeffquorum"']);
    // Names are compared as bytes: a lone surrogate is encoded (as U+FFFD) like Go's UTF-8.
    const dup = parseError(`witness a\ud800 ${hex(W[0]!)}\nwitness a\udc00 ${hex(W[1]!)}\nquorum none\n`);
    expect([dup.code, dup.where]).toEqual(['policy.duplicate-name', 'line 2']);
    expect(parseError(`# ${'é'.repeat(600000)}\n`).code).toBe('policy.size');
  });
});

describe('kOfNPolicy', () => {
  it('builds k-of-n and log-only policies like sigsum-go NewKofNPolicy', () => {
    const p = kOfNPolicy([LOG.publicKey], W.slice(0, 3).map((w) => w.publicKey), 2);
    expect(p.witnesses.map((w) => w.name)).toEqual(['w0', 'w1', 'w2']);
    expect([p.quorumHolds([kh(W[0]!)]), p.quorumHolds([kh(W[0]!), kh(W[2]!)])]).toEqual([false, true]);
    const logOnly = kOfNPolicy([LOG.publicKey], [], 0);
    expect([logOnly.logs.length, logOnly.quorumHolds([])]).toEqual([1, true]);
    const codes = [
      () => kOfNPolicy([LOG.publicKey], [W[0]!.publicKey], 2),
      () => kOfNPolicy([LOG.publicKey], [W[0]!.publicKey], 0),
      () => kOfNPolicy([LOG.publicKey], [], 1),
      () => kOfNPolicy([LOG.publicKey.subarray(1)], [], 0),
      () => kOfNPolicy([LOG.publicKey, LOG.publicKey], [], 0),
    ].map((f) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return e instanceof ParseError ? e.code : 'other';
      }
    });
    expect(codes).toEqual(['policy.threshold', 'policy.threshold', 'policy.threshold', 'policy.key-size', 'policy.duplicate-log']);
  });
});
