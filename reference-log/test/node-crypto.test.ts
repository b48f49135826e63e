/**
 * The log's node:crypto fast paths give the SDK's verdicts: Go's Ed25519
 * verdict on all 914 CCTV vectors, and the same leaf and leaf hash as the
 * SDK's isomorphic code for add-leaf requests.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, leafHashOf, leafToBytes, sha256, utf8, verifyAddLeafRequest } from '@sigsum-kit/sdk';
import { loadCctvEd25519 } from '@sigsum-kit/test-vectors';
import { goVerdict } from '../../test-vectors/suite/cctv.js';
import { ed25519VerifyNode, leafOfBody, leafOfRequest, sha256Node, verifyLeafRequestNode } from '../src/crypto/node-crypto.js';
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

  it("read add-leaf bodies as the SDK does: the canonical body on node:hex, any other body with the SDK's verdict and error", async () => {
    const [s, t] = (await makeSubmissions(2, 'leaf-of-body')).map((x) => x.body);
    const [, m, sig, key] = /^message=(\w+)\nsignature=(\w+)\npublic_key=(\w+)\n$/.exec(s!)!;
    const body = (a = m!, b = sig!, c = key!): string => `message=${a}\nsignature=${b}\npublic_key=${c}\n`;
    const bad = (hex: string, at: number, c: string): string => hex.slice(0, at) + c + hex.slice(at + 1);
    const cases: Record<string, string> = {
      canonical: s!,
      'another canonical body': t!,
      'upper-case hex (Go accepts it)': body(m!.toUpperCase(), sig!.toUpperCase(), key!.toUpperCase()),
      'mixed-case key': body(m, sig, key!.slice(0, 10).toUpperCase() + key!.slice(10)),
      'bad digit, message start': body(bad(m!, 0, 'g')),
      'bad digit, message end': body(bad(m!, 63, 'x')),
      'bad digit, signature middle': body(m, bad(sig!, 77, ' ')),
      'bad digit, key end': body(m, sig, bad(key!, 63, 'G')),
      'non-ASCII digit': body(m, sig, bad(key!, 5, 'é')),
      'short message': body(m!.slice(2)),
      'long signature': body(m, sig + '00'),
      'short key padded to the canonical length': body(m, sig, key!.slice(0, 62)) + 'x\n',
      'CRLF line ends': s!.replaceAll('\n', '\r\n'),
      'no final newline': s!.slice(0, -1),
      'an extra line': s! + 'extra=1\n',
      'fields out of order': `signature=${sig}\nmessage=${m}\npublic_key=${key}\n`,
      'misspelled key': s!.replace('public_key=', 'public-key='),
      'empty body': '',
    };
    for (const [name, text] of Object.entries(cases)) {
      let want: unknown;
      try {
        const req = parseAddLeafRequest(text);
        const leaf = leafOfRequest(req);
        want = { leaf: leaf.leaf, leafHash: leaf.leafHash, checksum: leaf.checksum, request: { message: req.message, signature: req.signature, publicKey: req.publicKey } };
      } catch (err) {
        want = { error: (err as Error).constructor.name, message: (err as Error).message, code: (err as { code?: string }).code };
      }
      let got: unknown;
      try {
        const leaf = leafOfBody(text);
        const req = leaf.request;
        got = { leaf: leaf.leaf, leafHash: leaf.leafHash, checksum: leaf.checksum, request: { message: req.message, signature: req.signature, publicKey: req.publicKey } };
      } catch (err) {
        got = { error: (err as Error).constructor.name, message: (err as Error).message, code: (err as { code?: string }).code };
      }
      const bytes = (v: unknown): unknown =>
        v instanceof Uint8Array ? `${v.length}:${Buffer.from(v).toString('hex')}` : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bytes(x)])) : v;
      expect(bytes(got), name).toEqual(bytes(want));
    }
    // The canonical ones did derive a leaf, the others an error.
    expect(() => leafOfBody(cases['bad digit, key end']!)).toThrow(/invalid hex character "G" at offset 63/);
    expect(Buffer.from(leafOfBody(cases['upper-case hex (Go accepts it)']!).leafHash).equals(Buffer.from(leafOfBody(s!).leafHash))).toBe(true);
  });
});
