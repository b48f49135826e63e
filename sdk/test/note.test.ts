import { describe, expect, it } from 'vitest';
import {
  SIG_TYPE_COSIGNATURE,
  SIG_TYPE_ED25519,
  SeedSigner,
  VerificationError,
  concatBytes,
  cosignCheckpoint,
  cosignatureFromLine,
  formatCheckpointText,
  formatCosignatureLine,
  formatTlogSize,
  formatVkey,
  keyHash,
  keyId,
  parseAddCheckpointRequest,
  parseCheckpointText,
  parseCosignatureLines,
  parseSignedNote,
  parseSigsumCheckpoint,
  parseTlogSize,
  parseVkey,
  serializeAddCheckpointRequest,
  serializeSignedNote,
  serializeSigsumCheckpoint,
  sha256,
  signSigsumCheckpoint,
  toBase64,
  toHex,
  uint64be,
  utf8,
  verifyCosignatureLine,
  verifySigsumCheckpoint,
  witnessKeyName,
  type SigsumCheckpoint,
} from '@sigsum-kit/sdk';
import { parseErrorOf } from './parse-error.js';

const log = new SeedSigner(new Uint8Array(32).fill(2));
const otherLog = new SeedSigner(new Uint8Array(32).fill(5));
const witness = new SeedSigner(new Uint8Array(32).fill(3));
const H = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const DASH = '\u2014';

async function checkpoint(size = 8n): Promise<SigsumCheckpoint> {
  return signSigsumCheckpoint(log, { size, rootHash: H(size === 0n ? 0 : 1) });
}

describe('key IDs and vkeys', () => {
  it('computes key IDs and formats/parses vkeys', () => {
    const name = 'witness.example';
    expect(keyId(name, SIG_TYPE_COSIGNATURE, witness.publicKey)).toEqual(sha256(concatBytes(utf8(name), new Uint8Array([10, 4]), witness.publicKey)).slice(0, 4));
    const v = formatVkey(name, SIG_TYPE_COSIGNATURE, witness.publicKey);
    expect(parseVkey(v)).toEqual({ name, keyId: keyId(name, 4, witness.publicKey), type: 4, publicKey: witness.publicKey });
    expect(witnessKeyName(H(0xab))).toBe(`sigsum.org/v1/witness/${'ab'.repeat(32)}`);
  });

  it.each([
    ['a+b', 'vkey.syntax', 'vkey: expected <name>+<key id>+<key data>'],
    ['a+0102030+AQ==', 'hex.odd', 'vkey key id: odd number of hex digits'],
    ['a+010203+AQ==', 'vkey.key-id-size', 'vkey key id: key id is 3 bytes, expected 4'],
    ['a+01020304+', 'vkey.syntax', 'vkey key data: empty key data'],
    ['a+01020304+!!!!', 'base64.char', 'vkey key data: invalid base64 character "!" at offset 0'],
    [`a+01020304+${toBase64(concatBytes(new Uint8Array([2]), H(1)))}`, 'vkey.type', 'vkey key data: unsupported key type 0x02'],
    [`a+01020304+${toBase64(concatBytes(new Uint8Array([1]), H(1).slice(1)))}`, 'vkey.key-size', 'vkey key data: key is 31 bytes, expected 32'],
  ])('rejects vkey %j', (v, code, message) => {
    const e = parseErrorOf(() => parseVkey(v));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('matches sigsum-go’s own vkey known answers', () => {
    const key = new Uint8Array(32);
    key.set([0x01, 0x45, 0x2c, 0x83, 0x46, 0x34, 0x44, 0x92, 0xf8]);
    expect(formatVkey('example.org/key', SIG_TYPE_COSIGNATURE, key)).toBe('example.org/key+57bfe580+BAFFLINGNESS+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const v = parseVkey('example.org/key+01020304+BAFFLINGNESS+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { checkKeyId: false });
    expect(v).toEqual({ name: 'example.org/key', keyId: new Uint8Array([1, 2, 3, 4]), type: SIG_TYPE_COSIGNATURE, publicKey: key });
    // The Go checksum database key is a plain Ed25519 vkey with a consistent key ID.
    expect(parseVkey('sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8').type).toBe(SIG_TYPE_ED25519);
  });

  it('checks the key ID unless told not to', () => {
    const v = formatVkey('n', SIG_TYPE_ED25519, log.publicKey).replace(/\+([0-9a-f]{8})\+/, '+00000000+');
    expect(() => parseVkey(v)).toThrow(VerificationError);
    expect(parseVkey(v, { checkKeyId: false }).keyId).toEqual(new Uint8Array(4));
  });
});

describe('signed notes', () => {
  const sigLine = `${DASH} k ${toBase64(concatBytes(new Uint8Array([1, 2, 3, 4]), H(9), H(9)))}\n`;

  it('parses and serializes a note with several signatures', () => {
    const text = 'origin\n1\nAAAA\n';
    const note = parseSignedNote(`${text}\n${sigLine}${sigLine.replace(' k ', ' k2 ')}`);
    expect(note.text).toBe(text);
    expect(note.signatures.map((s) => s.name)).toEqual(['k', 'k2']);
    expect(note.signatures[0]!.keyId).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(serializeSignedNote(note)).toBe(`${text}\n${sigLine}${sigLine.replace(' k ', ' k2 ')}`);
  });

  it.each([
    ['text\n\n' + sigLine.slice(0, -1), 'note.syntax', 'note: note does not end with a newline'],
    ['text\n' + sigLine, 'note.syntax', 'note: no blank line between text and signatures'],
    ['text\n\n\n', 'note.signatures', 'note: note has no signature lines'],
    ['te\u0007xt\n\n' + sigLine, 'note.text', 'note text: control character U+0007 in note text'],
    ['text\r\n\n' + sigLine, 'note.text', 'note text: control character U+000d in note text'],
    ['text\n\n- k AAAAAAA=\n', 'note.signature-line', 'line 3: signature line does not start with an em dash and a space'],
    [`text\n\n${DASH} k AAAA\n`, 'note.signature-line', 'line 3: signature blob of 3 bytes is too short'],
    [`text\n\n${DASH} k A!AA\n`, 'base64.char', 'line 3: invalid base64 character "!" at offset 1'],
  ])('rejects note %#', (note, code, message) => {
    const e = parseErrorOf(() => parseSignedNote(note));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('reads a cosigned checkpoint as a generic note (log and witness signatures)', async () => {
    const cp = await checkpoint();
    const line = await cosignCheckpoint(witness, cp, cp.origin, 1700000000n);
    const note = parseSignedNote(serializeSigsumCheckpoint(cp) + formatCosignatureLine(line));
    expect(note.text).toBe(formatCheckpointText({ ...cp, extensions: [] }));
    expect(note.signatures.map((x) => [x.name, x.signature.length])).toEqual([
      [cp.origin, 64],
      [line.keyName, 72],
    ]);
    // The Sigsum reader picks the log signature and ignores the cosignature.
    expect(parseSigsumCheckpoint(serializeSignedNote(note))).toEqual(cp);
  });

  it('bounds size and signature count, and requires UTF-8 bytes', () => {
    expect(parseErrorOf(() => parseSignedNote('t\n\n' + sigLine.repeat(3), { maxSignatures: 2 })).code).toBe('note.signatures');
    expect(parseErrorOf(() => parseSignedNote('t\n\n' + sigLine, { maxBytes: 10 })).code).toBe('note.size');
    expect(parseErrorOf(() => parseSignedNote(new Uint8Array([0x74, 0xff, 0x0a]))).code).toBe('note.utf8');
  });
});

describe('checkpoints', () => {
  it('parses C2SP checkpoint texts with extension lines', () => {
    const text = `o\n3\n${toBase64(H(1))}\next1\next2\n`;
    const cp = parseCheckpointText(text);
    expect(cp).toEqual({ origin: 'o', size: 3n, rootHash: H(1), extensions: ['ext1', 'ext2'] });
    expect(formatCheckpointText(cp)).toBe(text);
    expect(parseErrorOf(() => parseCheckpointText(`o\n3\n${toBase64(H(1))}\n\n`)).code).toBe('checkpoint.syntax');
    expect(parseErrorOf(() => parseCheckpointText(`\n3\n${toBase64(H(1))}\n`)).message).toBe('line 1 (origin): empty origin');
    expect(parseErrorOf(() => parseCheckpointText(`o\n03\n${toBase64(H(1))}\n`)).code).toBe('integer.syntax');
    expect(parseErrorOf(() => parseCheckpointText(`o\n3\n${toBase64(H(1).slice(1))}\n`)).code).toBe('base64.size');
  });

  it('signs, serializes, parses and verifies a Sigsum checkpoint', async () => {
    const cp = await checkpoint();
    const note = serializeSigsumCheckpoint(cp);
    expect(note.startsWith(`sigsum.org/v1/tree/${toHex(keyHash(log.publicKey))}\n8\n`)).toBe(true);
    const back = parseSigsumCheckpoint(note);
    expect(back).toEqual(cp);
    await verifySigsumCheckpoint(back, log.publicKey);
  });

  it('skips foreign signature lines and finds the log signature among them', async () => {
    const cp = await checkpoint();
    const note = serializeSigsumCheckpoint(cp);
    const foreign = `${DASH} other.example ${toBase64(new Uint8Array(68))}\n${DASH} ${cp.origin} ${toBase64(new Uint8Array(76))}\n`;
    expect(parseSigsumCheckpoint(note + foreign)).toEqual(cp);
  });

  it.each([
    ['duplicate', (n: string, l: string) => n + l, 'checkpoint.signatures', 'line 6: duplicate log signature'],
    ['17 lines', (n: string) => n + `${DASH} x ${toBase64(new Uint8Array(68))}\n`.repeat(16), 'checkpoint.signatures', 'line 21: more than 16 signature lines'],
    ['no log signature', (n: string, l: string) => n.replace(l, `${DASH} x ${toBase64(new Uint8Array(68))}\n`), 'checkpoint.signatures', 'checkpoint: 1 signature lines, but no log signature'],
    ['no blank line', (n: string) => n.replace('=\n\n', '=\n'), 'checkpoint.syntax', 'line 4: root hash not followed by an empty line'],
    ['ascii dash', (n: string) => n.replace(DASH, '-'), 'note.signature-line', expect.stringMatching(/^line 5: invalid signature line/)],
    ['no final newline', (n: string) => n.slice(0, -1), 'ascii.unterminated', 'line 5: last line is not terminated by a newline'],
  ])('rejects a checkpoint with %s', async (_name, mutate, code, message) => {
    const cp = await checkpoint();
    const note = serializeSigsumCheckpoint(cp);
    const logLine = note.slice(note.indexOf(DASH));
    const e = parseErrorOf(() => parseSigsumCheckpoint(mutate(note, logLine)));
    expect(e.code).toBe(code);
    expect(e.message).toEqual(message);
  });

  it('distinguishes a wrong key ID from a wrong signature', async () => {
    const cp = await checkpoint();
    const e1 = await verifySigsumCheckpoint({ ...cp, keyId: new Uint8Array(4) }, log.publicKey).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(VerificationError);
    expect((e1 as VerificationError).code).toBe('checkpoint.key-id');
    const e2 = await verifySigsumCheckpoint({ ...cp, size: 9n }, log.publicKey).catch((e: unknown) => e);
    expect((e2 as VerificationError).code).toBe('checkpoint.signature');
    expect((e2 as VerificationError).message).toBe('checkpoint: invalid checkpoint signature');
    const e3 = await verifySigsumCheckpoint(cp, otherLog.publicKey).catch((e: unknown) => e);
    expect((e3 as VerificationError).code).toBe('checkpoint.key-id');
  });
});

describe('add-checkpoint', () => {
  it('round-trips a request with a proof', async () => {
    const req = { oldSize: 3n, proof: [H(4), H(5)], checkpoint: await checkpoint() };
    const body = serializeAddCheckpointRequest(req);
    expect(body.startsWith(`old 3\n${toBase64(H(4))}\n${toBase64(H(5))}\n\nsigsum.org/v1/tree/`)).toBe(true);
    expect(parseAddCheckpointRequest(body)).toEqual(req);
    expect(parseAddCheckpointRequest(utf8(body))).toEqual(req);
  });

  it('accepts what Go’s non-strict base64 accepts in proof lines', async () => {
    const req = { oldSize: 3n, proof: [H(4)], checkpoint: await checkpoint() };
    const b64 = toBase64(H(4));
    // A CR inside a base64 line is skipped by Go, and unused trailing bits are ignored.
    const loose = b64.slice(0, -2) + 'R=';
    const body = serializeAddCheckpointRequest(req).replace(`${b64}\n`, `${b64}\r\n`);
    expect(parseAddCheckpointRequest(body).proof).toEqual([H(4)]);
    expect(parseAddCheckpointRequest(serializeAddCheckpointRequest(req).replace(b64, loose)).proof.length).toBe(1);
  });

  it.each([
    ['old=3', (b: string) => b.replace('old 3', 'old=3'), 'add-checkpoint.old-line', 'line 1: invalid old line "old=3"'],
    ['old 03', (b: string) => b.replace('old 3', 'old 03'), 'integer.syntax', 'line 1 (old): invalid decimal integer "03"'],
    ['old 9', (b: string) => b.replace('old 3', 'old 9'), 'add-checkpoint.old-size', 'line 1 (old): old size 9 is larger than checkpoint size 8'],
    ['proof missing', (b: string) => b.replace(/\n[^\n]+\n\n/, '\n\n'), 'add-checkpoint.proof', 'line 2: consistency proof missing'],
    ['old 0 with proof', (b: string) => b.replace('old 3', 'old 0'), 'add-checkpoint.proof', 'line 2: expected an empty consistency proof'],
    ['old = size with proof', (b: string) => b.replace('old 3', 'old 8'), 'add-checkpoint.proof', 'line 2: expected an empty consistency proof'],
    ['64 proof lines', (b: string) => b.replace(/\n([^\n]+)\n\n/, (_m, l: string) => `\n${`${l}\n`.repeat(64)}\n`), 'add-checkpoint.proof', 'line 65: more than 63 consistency proof lines'],
    ['no blank line', (b: string) => b.replace(/\n\n/, '\n'), 'base64.length', expect.stringMatching(/^line 3: length/)],
    ['short proof hash', (b: string) => b.replace(/\n[^\n]+\n\n/, `\n${toBase64(H(1).slice(1))}\n\n`), 'base64.size', 'line 2: expected 32 bytes, got 31'],
    ['empty body', () => '', 'ascii.eof', 'line 1: unexpected end of input, expected old line'],
  ])('rejects %s', async (_name, mutate, code, message) => {
    const body = serializeAddCheckpointRequest({ oldSize: 3n, proof: [H(4)], checkpoint: await checkpoint() });
    const e = parseErrorOf(() => parseAddCheckpointRequest(mutate(body)));
    expect(e.code).toBe(code);
    expect(e.message).toEqual(message);
  });

  it('matches the known answer of sigsum-go’s own add-checkpoint test', () => {
    const text = [
      'old 3',
      'AAAAHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      '',
      'example.org/log',
      '5',
      'HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      '',
      `${DASH} example.org/log DEADBEEFAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`,
      '',
    ].join('\n');
    const pad = (prefix: number[], n: number): Uint8Array => {
      const b = new Uint8Array(n);
      b.set(prefix);
      return b;
    };
    const req = parseAddCheckpointRequest(text);
    expect(req).toEqual({
      oldSize: 3n,
      proof: [pad([0, 0, 0, 28, 14, 71], 32)],
      checkpoint: { origin: 'example.org/log', size: 5n, rootHash: pad([28, 14, 71], 32), keyId: new Uint8Array([12, 64, 3, 4]), signature: pad([65, 5], 64) },
    });
    expect(serializeAddCheckpointRequest(req)).toBe(text);
  });

  it('bounds the body before decoding it', () => {
    const e = parseErrorOf(() => parseAddCheckpointRequest(new Uint8Array(70_000)));
    expect(e.code).toBe('ascii.size');
    expect(e.message).toBe('body of 70000 bytes exceeds the limit of 65536');
    expect(parseErrorOf(() => parseAddCheckpointRequest('old 0\n', { maxBytes: 5 })).code).toBe('ascii.size');
    expect(parseErrorOf(() => parseCosignatureLines(new Uint8Array(10), { maxBytes: 9 })).code).toBe('ascii.size');
  });

  it('formats and parses 409 size bodies', () => {
    expect(formatTlogSize(42n)).toBe('42\n');
    expect(parseTlogSize('42\n')).toBe(42n);
    expect(parseErrorOf(() => parseTlogSize('42')).code).toBe('tlog-size.syntax');
    expect(parseErrorOf(() => parseTlogSize('042\n')).code).toBe('integer.syntax');
  });
});

describe('cosignature lines', () => {
  it('cosigns, formats, parses and verifies', async () => {
    const cp = await checkpoint();
    const line = await cosignCheckpoint(witness, cp, cp.origin, 1700000000n);
    expect(line.keyName).toBe(witnessKeyName(keyHash(witness.publicKey)));
    const text = formatCosignatureLine(line);
    expect(text).toBe(`${DASH} ${line.keyName} ${toBase64(concatBytes(line.keyId, uint64be(1700000000n), line.signature))}\n`);
    const [back] = parseCosignatureLines(text);
    expect(back).toEqual(line);
    expect(await verifyCosignatureLine(back!, witness.publicKey, cp, cp.origin)).toBe(true);
    expect(await verifyCosignatureLine(back!, log.publicKey, cp, cp.origin)).toBe(false);
    expect(await verifyCosignatureLine({ ...back!, keyName: 'other' }, witness.publicKey, cp, cp.origin)).toBe(false);
  });

  it('skips other signature types and rejects malformed lines', () => {
    expect(parseCosignatureLines(`${DASH} x ${toBase64(new Uint8Array(68))}\n`)).toEqual([]);
    expect(parseCosignatureLines('')).toEqual([]);
    expect(parseErrorOf(() => parseCosignatureLines('garbage\n')).code).toBe('note.signature-line');
    expect(parseErrorOf(() => parseCosignatureLines(`${DASH} x ${toBase64(new Uint8Array(76))}`)).code).toBe('ascii.unterminated');
  });

  it('matches the known answer of sigsum-go’s own cosignature-line test (u64 timestamp)', () => {
    const line = `${DASH} example.org/witness-key deadbeef+deadcod/codAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n`;
    const logLine = `${DASH} example.org/log DEADBEEFAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`;
    const signature = new Uint8Array(64);
    signature.set([253, 202, 29]);
    const want = { keyName: 'example.org/witness-key', keyId: new Uint8Array([117, 230, 157, 109]), timestamp: 0xe79ff9d79a75ca1dn, signature };
    expect(parseCosignatureLines(line)).toEqual([want]);
    // The log's own (Ed25519-sized) line is skipped.
    expect(parseCosignatureLines(logLine + line)).toEqual([want]);
    expect(formatCosignatureLine(want)).toBe(line);
    // The Sigsum ASCII form cannot carry it.
    expect(() => cosignatureFromLine(want, witness.publicKey)).toThrow(`cosignature: timestamp ${0xe79ff9d79a75ca1dn} exceeds 2^63-1`);
  });
});
