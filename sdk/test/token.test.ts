import { describe, expect, it } from 'vitest';
import {
  SeedSigner,
  createToken,
  formatTokenHeader,
  formatTxtRecordLine,
  normalizeDomainName,
  parseTokenHeader,
  parseTxtRecord,
  toHex,
  txtRecordName,
  verifyToken,
  verifyTokenWithRecords,
} from '@sigsum-kit/sdk';
import { parseErrorOf } from './parse-error.js';

const rateLimit = new SeedSigner(new Uint8Array(32).fill(6));
const other = new SeedSigner(new Uint8Array(32).fill(7));
const logKey = new SeedSigner(new Uint8Array(32).fill(8)).publicKey;

describe('submit tokens', () => {
  it('creates and verifies tokens bound to one log key', async () => {
    const token = await createToken(rateLimit, logKey);
    expect(await verifyToken(rateLimit.publicKey, logKey, token)).toBe(true);
    expect(await verifyToken(other.publicKey, logKey, token)).toBe(false);
    expect(await verifyToken(rateLimit.publicKey, other.publicKey, token)).toBe(false);
    expect(await verifyToken(rateLimit.publicKey, logKey.slice(1), token)).toBe(false);
  });

  it('formats and parses the header', async () => {
    const token = await createToken(rateLimit, logKey);
    const v = formatTokenHeader({ domain: 'example.org', token });
    expect(v).toBe(`example.org ${toHex(token)}`);
    expect(parseTokenHeader(v.toUpperCase().replace('EXAMPLE.ORG', 'example.org'))).toEqual({ domain: 'example.org', token });
  });

  it.each([
    ['example.org', 'token.header', 'Sigsum-Token: expected <domain> <hex token>, got 1 space-separated parts'],
    [`example.org  ${'00'.repeat(64)}`, 'token.header', 'Sigsum-Token: expected <domain> <hex token>, got 3 space-separated parts'],
    [` ${'00'.repeat(64)}`, 'token.header', 'Sigsum-Token: empty domain'],
    [`example.org ${'00'.repeat(63)}`, 'hex.length', 'Sigsum-Token token: expected 64 bytes (128 hex digits), got 126 characters'],
    [`example.org ${'0g'.repeat(64)}`, 'hex.char', 'Sigsum-Token token: invalid hex character "g" at offset 1'],
  ])('rejects header %j', (value, code, message) => {
    const e = parseErrorOf(() => parseTokenHeader(value));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('names and parses TXT records', () => {
    expect(txtRecordName('example.org')).toBe('_sigsum_v1.example.org');
    expect(parseTxtRecord(toHex(rateLimit.publicKey).toUpperCase())).toEqual(rateLimit.publicKey);
    expect(parseErrorOf(() => parseTxtRecord('"' + toHex(rateLimit.publicKey) + '"')).code).toBe('hex.length');
    expect(formatTxtRecordLine(rateLimit.publicKey)).toBe(`_sigsum_v1 IN TXT "${toHex(rateLimit.publicKey)}"`);
  });

  it('checks at most 10 TXT records and counts malformed ones', async () => {
    const token = await createToken(rateLimit, logKey);
    const good = toHex(rateLimit.publicKey);
    const bad = toHex(other.publicKey);
    expect(await verifyTokenWithRecords(['junk', bad, good], logKey, token)).toEqual({ valid: true, ignoredKeys: 0, badKeys: 1 });
    // The 11th record is never looked at.
    expect(await verifyTokenWithRecords([...Array<string>(10).fill(bad), good], logKey, token)).toEqual({ valid: false, ignoredKeys: 1, badKeys: 0 });
    expect(await verifyTokenWithRecords([], logKey, token)).toEqual({ valid: false, ignoredKeys: 0, badKeys: 0 });
  });
});

describe('domain normalization', () => {
  it.each([
    ['Example.ORG', 'example.org'],
    ['xn--mnchen-3ya.de', 'münchen.de'],
    ['MÜNCHEN.de', 'münchen.de'],
    ['\u0130stanbul.example', 'istanbul.example'], // Go's simple lowercase: İ → i, not i + U+0307
    ['ΟΔΟΣ.gr', 'οδοσ.gr'], // no final-sigma rule, as Go's strings.ToLower
    ['xn--invalid-.example', 'invalid.example'],
    ['ｅｘａｍｐｌｅ．com', 'example.com'], // NFKC maps full-width letters and dot
    ['rÄKa.se', 'räka.se'],
    ['Ra\u0308ka.se', 'räka.se'], // combining diaeresis composed by NFKC
    ['\u212bngström.se', 'ångström.se'], // ANGSTROM SIGN is a compatibility character
    ['FAß.de', 'faß.de'], // ß is kept (no IDNA2003 mapping)
  ])('normalizes %j to %j', (input, want) => {
    expect(normalizeDomainName(input)).toBe(want);
  });

  it('rejects A-labels that do not decode, or decode to non-lowercase text', () => {
    const e1 = parseErrorOf(() => normalizeDomainName('xn---abc.example'));
    expect(e1.code).toBe('domain.idna');
    const e2 = parseErrorOf(() => normalizeDomainName('xn--ab!c.example'));
    expect(e2.code).toBe('domain.idna');
    // An A-label whose decoding is upper case survives lowercasing of the (ASCII) input.
    const upper = 'xn--wca'; // Punycode of 'Ü'
    const e3 = parseErrorOf(() => normalizeDomainName(upper + '.example'));
    expect(e3.code).toBe('domain.normalization');
    // A-labels that decode to a compatibility character or to upper case (cases from sigsum-go's own tests).
    expect(parseErrorOf(() => normalizeDomainName('xn--72g.com')).message).toMatch(/un-normalized/);
    expect(parseErrorOf(() => normalizeDomainName('xn--RKA-2ha.se')).message).toMatch(/non-lowercase/);
  });
});
