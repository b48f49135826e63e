/**
 * The log's node:crypto fast paths give the SDK's verdicts: Go's Ed25519
 * verdict on all 914 CCTV vectors, and the same leaf and leaf hash as the
 * SDK's isomorphic code for add-leaf requests.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, leafHashOf, leafToBytes, sha256, utf8, verifyAddLeafRequest } from '@sigsum-kit/sdk';
import { loadCctvEd25519 } from '@sigsum-kit/test-vectors';
import { goVerdict } from '../../test-vectors/suite/cctv.js';
import { ed25519VerifyNode, leafOfRequest, sha256Node, verifyLeafRequestNode } from '../src/crypto/node-crypto.js';
import { makeSubmissions } from './log-helpers.js';
import { parseAddLeafRequest } from '@sigsum-kit/sdk';

describe('node:crypto paths of the log', () => {
  it("give Go's Ed25519 verdict on every CCTV vector", async () => {
    const vectors = (await loadCctvEd25519()) as { number: number; key: string; sig: string; msg: string; flags: string[] | null }[];
    expect(vectors.length).toBe(914);
    const wrong: number[] = [];
    for (const v of vectors) {
      const got = ed25519VerifyNode(fromHex(v.key), utf8(v.msg), fromHex(v.sig)) ? 'accept' : 'reject';
      if (got !== goVerdict(v.flags)) wrong.push(v.number);
    }
    expect(wrong).toEqual([]);
  });

  it('derive the SDK leaf and verdict for add-leaf requests, and refuse a tampered one', async () => {
    const subs = await makeSubmissions(20, 'node-crypto');
    for (const s of subs) {
      const req = parseAddLeafRequest(s.body);
      const mine = leafOfRequest(req);
      const sdk = await verifyAddLeafRequest(req);
      expect(Buffer.from(mine.leaf).equals(Buffer.from(leafToBytes(sdk)))).toBe(true);
      expect(Buffer.from(mine.leafHash).equals(Buffer.from(leafHashOf(sdk)))).toBe(true);
      expect(verifyLeafRequestNode(req, mine.checksum)).toBe(true);
      const bad = { ...req, message: sha256(utf8('another message')) };
      expect(verifyLeafRequestNode(bad, leafOfRequest(bad).checksum)).toBe(false);
    }
    expect(Buffer.from(sha256Node(utf8('abc'))).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
