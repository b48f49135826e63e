import { describe, expect, it } from 'vitest';
import {
  ParseError,
  OutOfRangeError,
  SeedSigner,
  VerificationError,
  addLeafUrl,
  checkpointText,
  concatBytes,
  cosignTreeHead,
  getConsistencyProofUrl,
  getInclusionProofUrl,
  getLeavesUrl,
  getTreeHeadUrl,
  keyHash,
  leafFromBytes,
  leafHashOf,
  leafToBytes,
  makeLeaf,
  parseAddLeafRequest,
  parseConsistencyProofBody,
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseLeavesBody,
  serializeAddLeafRequest,
  serializeCosignedTreeHead,
  serializeInclusionProof,
  sha256,
  signLeaf,
  signTreeHead,
  toHex,
  verifyAddLeafRequest,
  verifyCosignature,
  verifyLeafSignature,
  verifyTreeHeadSignature,
  type Cosignature,
} from '@sigsum-kit/sdk';
import {
  parseConsistencyProofPath,
  parseInclusionProofPath,
  parseLeavesPath,
} from '@sigsum-kit/sdk/internal';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const submitter = new SeedSigner(seed(1));
const log = new SeedSigner(seed(2));
const witnessA = new SeedSigner(seed(3));
const witnessB = new SeedSigner(seed(4));
const H = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('leaf', () => {
  it('signs, serializes to 128 bytes, hashes and verifies', async () => {
    const msg = sha256(new TextEncoder().encode('data'));
    const leaf = await makeLeaf(submitter, msg);
    expect(leaf.checksum).toEqual(sha256(msg));
    expect(leaf.keyHash).toEqual(keyHash(submitter.publicKey));
    expect(leaf.signature).toEqual(await signLeaf(submitter, msg));
    const bytes = leafToBytes(leaf);
    expect(bytes.length).toBe(128);
    expect(leafFromBytes(bytes)).toEqual(leaf);
    expect(leafHashOf(leaf)).toEqual(sha256(concatBytes(new Uint8Array([0]), bytes)));
    expect(await verifyLeafSignature(leaf, submitter.publicKey)).toBe(true);
    // Right signature, but the key hash names someone else.
    expect(await verifyLeafSignature({ ...leaf, keyHash: keyHash(log.publicKey) }, submitter.publicKey)).toBe(false);
    expect(await verifyLeafSignature(leaf, log.publicKey)).toBe(false);
  });

  it('rejects leaves of the wrong size', () => {
    const e = thrown(() => leafFromBytes(new Uint8Array(127)));
    expect(e).toBeInstanceOf(ParseError);
    expect((e as ParseError).code).toBe('leaf.size');
    expect(e.message).toBe('leaf: a leaf is 128 bytes, got 127');
    expect(() => leafToBytes({ checksum: H(1), signature: new Uint8Array(63), keyHash: H(2) })).toThrow('signature: signature must be 64 bytes');
  });
});

describe('tree heads and cosignatures', () => {
  const th = { size: 5n, rootHash: H(9) };
  const logKh = keyHash(log.publicKey);

  it('signs the checkpoint text and verifies', async () => {
    expect(checkpointText(th, logKh)).toBe(`sigsum.org/v1/tree/${toHex(logKh)}\n5\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n`);
    const sth = await signTreeHead(log, th);
    expect(await verifyTreeHeadSignature(sth, log.publicKey)).toBe(true);
    expect(await verifyTreeHeadSignature({ ...sth, size: 6n }, log.publicKey)).toBe(false);
    expect(await verifyTreeHeadSignature({ ...sth, size: 1n << 63n }, log.publicKey)).toBe(false);
  });

  it('cosigns and verifies against the witness key only', async () => {
    const c = await cosignTreeHead(witnessA, th, logKh, 1700000000n);
    expect(c.keyHash).toEqual(keyHash(witnessA.publicKey));
    expect(await verifyCosignature(c, witnessA.publicKey, th, logKh)).toBe(true);
    expect(await verifyCosignature(c, witnessB.publicKey, th, logKh)).toBe(false);
    expect(await verifyCosignature({ ...c, timestamp: 1700000001n }, witnessA.publicKey, th, logKh)).toBe(false);
    expect(await verifyCosignature(c, witnessA.publicKey, th, H(7))).toBe(false);
  });

  it('refuses sizes beyond 2^63-1 when formatting', () => {
    const e = thrown(() => checkpointText({ size: 1n << 63n, rootHash: H(0) }, logKh));
    expect(e).toBeInstanceOf(OutOfRangeError);
    expect((e as OutOfRangeError).code).toBe('integer.range');
  });
});

describe('endpoint bodies', () => {
  it('writes cosignatures sorted by key hash and parses them back', async () => {
    const th = { size: 3n, rootHash: H(1) };
    const sth = await signTreeHead(log, th);
    const cs: Cosignature[] = [await cosignTreeHead(witnessA, th, keyHash(log.publicKey), 10n), await cosignTreeHead(witnessB, th, keyHash(log.publicKey), 11n)];
    const body = serializeCosignedTreeHead({ ...sth, cosignatures: [...cs].reverse() });
    const lines = body.split('\n').filter((l) => l.startsWith('cosignature='));
    expect(lines).toEqual([...lines].sort());
    const back = parseCosignedTreeHeadBody(body);
    expect(back.size).toBe(3n);
    expect(serializeCosignedTreeHead(back)).toBe(body);
  });

  it('rejects duplicate cosignature key hashes', () => {
    const cos = `cosignature=${toHex(H(5))} 1 ${'00'.repeat(64)}\n`;
    const body = `size=1\nroot_hash=${toHex(H(1))}\nsignature=${'00'.repeat(64)}\n${cos}${cos.replace(' 1 ', ' 2 ')}`;
    const e = thrown(() => parseCosignedTreeHeadBody(body)) as ParseError;
    expect(e.code).toBe('cosignature.duplicate');
    expect(e.message).toBe(`line 5 (cosignature): duplicate cosignature key hash ${toHex(H(5))}`);
  });

  it('bounds proofs to 1..63 node hashes', () => {
    const node = `node_hash=${toHex(H(2))}\n`;
    expect(parseInclusionProofBody(`leaf_index=4\n${node.repeat(63)}`).path.length).toBe(63);
    const many = thrown(() => parseInclusionProofBody(`leaf_index=4\n${node.repeat(64)}`)) as ParseError;
    expect(many.code).toBe('ascii.count');
    expect(many.message).toBe('line 65 (node_hash): more than 63 node_hash lines');
    const none = thrown(() => parseConsistencyProofBody('')) as ParseError;
    expect(none.code).toBe('ascii.count');
    expect(none.message).toBe('line 1 (node_hash): expected at least 1 node_hash line, got 0');
    expect(() => serializeInclusionProof({ leafIndex: 0n, path: [] })).toThrow(TypeError);
  });

  it('parses get-leaves bodies up to maxCount', () => {
    const line = `leaf=${toHex(H(1))} ${'11'.repeat(64)} ${toHex(H(2))}\n`;
    expect(parseLeavesBody(line.repeat(3), { maxCount: 3 }).length).toBe(3);
    const e = thrown(() => parseLeavesBody(line.repeat(4), { maxCount: 3 })) as ParseError;
    expect(e.code).toBe('ascii.count');
    const empty = thrown(() => parseLeavesBody('')) as ParseError;
    expect(empty.code).toBe('ascii.count');
    const bad = thrown(() => parseLeavesBody(line.replace(toHex(H(2)), 'zz'))) as ParseError;
    expect(bad.code).toBe('hex.length');
    expect(bad.where).toBe('line 1 (leaf) key hash');
  });

  it('round-trips add-leaf and verifies it into the logged leaf', async () => {
    const message = H(7);
    const req = { message, signature: await signLeaf(submitter, message), publicKey: submitter.publicKey };
    const body = serializeAddLeafRequest(req);
    expect(body).toBe(`message=${toHex(message)}\nsignature=${toHex(req.signature)}\npublic_key=${toHex(submitter.publicKey)}\n`);
    const leaf = await verifyAddLeafRequest(parseAddLeafRequest(body));
    expect(leaf).toEqual(await makeLeaf(submitter, message));
    const e = await verifyAddLeafRequest({ ...req, message: H(8) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VerificationError);
    expect((e as VerificationError).code).toBe('add-leaf.signature');
    expect((e as VerificationError).message).toBe('signature: leaf signature does not verify');
  });
});

describe('request paths and URLs', () => {
  it('parses valid paths', () => {
    expect(parseInclusionProofPath(`2/${toHex(H(1)).toUpperCase()}`)).toEqual({ size: 2n, leafHash: H(1) });
    expect(parseConsistencyProofPath('1/2')).toEqual({ oldSize: 1n, newSize: 2n });
    expect(parseLeavesPath('0/1')).toEqual({ startIndex: 0n, endIndex: 1n });
  });

  it.each([
    [() => parseInclusionProofPath(`1/${toHex(H(1))}`), 'request.range', 'size: size(1) must be larger than one'],
    [() => parseInclusionProofPath(`0/${toHex(H(1))}`), 'request.range', 'size: size(0) must be larger than one'],
    [() => parseInclusionProofPath('5/abcd'), 'hex.length', 'leaf_hash: expected 32 bytes (64 hex digits), got 4 characters'],
    [() => parseInclusionProofPath(`05/${toHex(H(1))}`), 'integer.syntax', 'size: invalid decimal integer "05"'],
    [() => parseInclusionProofPath('5'), 'request.path', 'get-inclusion-proof: expected two path segments <a>/<b>, got 1'],
    [() => parseConsistencyProofPath('0/5'), 'request.range', 'old_size: old_size(0) must be larger than zero'],
    [() => parseConsistencyProofPath('5/5'), 'request.range', 'new_size: new_size(5) must be larger than old_size(5)'],
    [() => parseConsistencyProofPath('1/2/3'), 'request.path', 'get-consistency-proof: expected two path segments <a>/<b>, got 3'],
    [() => parseLeavesPath('3/3'), 'request.range', 'start_index: start_index(3) must be less than end_index(3)'],
    [() => parseLeavesPath('/3'), 'integer.syntax', 'start_index: invalid decimal integer ""'],
    [() => parseLeavesPath('1/9223372036854775808'), 'integer.range', 'end_index: integer exceeds 2^63-1'],
  ])('rejects bad path %#', (f, code, message) => {
    const e = thrown(f);
    expect(e).toBeInstanceOf(ParseError);
    expect((e as ParseError).code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('builds URLs with or without a trailing slash on the base', () => {
    expect(getTreeHeadUrl('https://log.example/')).toBe('https://log.example/get-tree-head');
    expect(addLeafUrl('https://log.example')).toBe('https://log.example/add-leaf');
    expect(getInclusionProofUrl('http://l', { size: 9n, leafHash: H(1) })).toBe(`http://l/get-inclusion-proof/9/${toHex(H(1))}`);
    expect(getConsistencyProofUrl('http://l/', { oldSize: 1n, newSize: 9n })).toBe('http://l/get-consistency-proof/1/9');
    expect(getLeavesUrl('http://l', { startIndex: 0n, endIndex: 4n })).toBe('http://l/get-leaves/0/4');
  });
});
