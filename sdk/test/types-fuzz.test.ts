/**
 * Totality and round-trip properties of every format parser in types/, note/
 * and token/: on any input a parser either returns or throws a SigsumError
 * (never a TypeError, RangeError or anything untyped), and what a serializer
 * writes parses back to the same value.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SigsumError,
  normalizeDomainName,
  parseAddCheckpointRequest,
  parseAddLeafRequest,
  parseCheckpointText,
  parseConsistencyProofBody,
  parseCosignatureLines,
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseLeavesBody,
  parseSignedNote,
  parseSigsumCheckpoint,
  parseTokenHeader,
  parseVkey,
  serializeConsistencyProof,
  serializeCosignedTreeHead,
  serializeInclusionProof,
  serializeLeaves,
  serializeAddCheckpointRequest,
  toHex,
  type Cosignature,
} from '@sigsum-kit/sdk';
import {
  parseConsistencyProofPath,
  parseInclusionProofPath,
  parseLeavesPath,
} from '@sigsum-kit/sdk/internal';

const RUNS = 300;

const parsers: [string, (s: string) => unknown][] = [
  ['cosigned tree head', parseCosignedTreeHeadBody],
  ['inclusion proof', parseInclusionProofBody],
  ['consistency proof', parseConsistencyProofBody],
  ['leaves', (s) => parseLeavesBody(s, { maxCount: 8 })],
  ['add-leaf', parseAddLeafRequest],
  ['inclusion path', parseInclusionProofPath],
  ['consistency path', parseConsistencyProofPath],
  ['leaves path', parseLeavesPath],
  ['signed note', parseSignedNote],
  ['checkpoint text', parseCheckpointText],
  ['sigsum checkpoint', parseSigsumCheckpoint],
  ['cosignature lines', parseCosignatureLines],
  ['add-checkpoint', parseAddCheckpointRequest],
  ['vkey', parseVkey],
  ['token header', parseTokenHeader],
  ['domain', normalizeDomainName],
];

/** Strings built from the characters these formats are made of, so inputs get past the first checks. */
const formatish = fc
  .array(
    fc.constantFrom('size=', 'root_hash=', 'signature=', 'cosignature=', 'leaf_index=', 'node_hash=', 'leaf=', 'message=', 'public_key=', 'old ', '\u2014 ', 'xn--', '0', '1', '9', 'a', 'F', 'ab'.repeat(32), '00'.repeat(64), 'AAAA', '=', '+', '/', ' ', '\n', '\n\n', '\r', '-', '.', 'é', '\u0000'),
    { maxLength: 40 },
  )
  .map((a) => a.join(''));

function total(parse: (s: string) => unknown, s: string): void {
  try {
    parse(s);
  } catch (e) {
    if (!(e instanceof SigsumError)) throw new Error(`untyped ${(e as Error).name}: ${(e as Error).message} on ${JSON.stringify(s)}`);
  }
}

describe('parsers are total', () => {
  it.each(parsers)('%s: returns or throws a SigsumError', (_name, parse) => {
    fc.assert(fc.property(fc.oneof(formatish, fc.string({ maxLength: 200 })), (s) => total(parse, s)), { numRuns: RUNS });
  });
});

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const sig = fc.uint8Array({ minLength: 64, maxLength: 64 });
const u63 = fc.bigInt({ min: 0n, max: (1n << 63n) - 1n });

describe('serializers round-trip', () => {
  it('cosigned tree heads', () => {
    fc.assert(
      fc.property(u63, hash, sig, fc.uniqueArray(fc.record({ keyHash: hash, timestamp: u63, signature: sig }), { maxLength: 5, selector: (c) => toHex(c.keyHash) }), (size, rootHash, signature, cosignatures: Cosignature[]) => {
        const body = serializeCosignedTreeHead({ size, rootHash, signature, cosignatures });
        const back = parseCosignedTreeHeadBody(body);
        expect(serializeCosignedTreeHead(back)).toBe(body);
        expect(back.size).toBe(size);
        expect(back.cosignatures.length).toBe(cosignatures.length);
      }),
      { numRuns: 100 },
    );
  });

  it('proofs and leaves', () => {
    fc.assert(
      fc.property(u63, fc.array(hash, { minLength: 1, maxLength: 63 }), fc.array(fc.record({ checksum: hash, signature: sig, keyHash: hash }), { minLength: 1, maxLength: 8 }), (leafIndex, path, leaves) => {
        const ip = serializeInclusionProof({ leafIndex, path });
        expect(parseInclusionProofBody(ip)).toEqual({ leafIndex, path });
        expect(parseConsistencyProofBody(serializeConsistencyProof({ path })).path).toEqual(path);
        expect(parseLeavesBody(serializeLeaves(leaves), { maxCount: leaves.length })).toEqual(leaves);
      }),
      { numRuns: 100 },
    );
  });

  it('add-checkpoint requests', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
        fc.array(hash, { minLength: 1, maxLength: 63 }),
        hash,
        sig,
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.stringMatching(/^[a-z0-9./-]{1,40}$/),
        (size, oldRaw, proof, rootHash, signature, keyId, origin) => {
          const oldSize = oldRaw % size; // 0 <= old < size
          const req = { oldSize, proof: oldSize === 0n ? [] : proof, checkpoint: { origin, size, rootHash, signature, keyId } };
          expect(parseAddCheckpointRequest(serializeAddCheckpointRequest(req))).toEqual(req);
        },
      ),
      { numRuns: 100 },
    );
  });
});
