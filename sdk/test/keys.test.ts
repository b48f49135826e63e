import { describe, expect, it } from 'vitest';
import {
  ParseError,
  formatOpenSshPrivateKey,
  formatOpenSshPublicKey,
  fromBase64,
  fromHex,
  keyHash,
  parseOpenSshPrivateKey,
  parseOpenSshPublicKey,
  parseOpenSshPublicKeys,
  parsePrivateKeyFile,
  parseSshPublicKeyBlob,
  policyNameOfKeys,
  publicKeyFromSeed,
  sshPublicKeyBlob,
  toBase64,
  toHex,
} from '@sigsum-kit/sdk';
import { parseErrorOf } from './parse-error.js';

const SEED = fromHex('30f2908c28ad095b7e49e180b195fefa781cdd08be09550ade754a92e844c590');
const PUB = fromHex('28e2d9f3baa5c615624985e856754a31fee880d132767ba055423f30773ddc2d');
const B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAICji2fO6pcYVYkmF6FZ1SjH+6IDRMnZ7oFVCPzB3Pdwt';
const LINE = `ssh-ed25519 ${B64} sigsum key\n`;
const CHECK = new Uint8Array([1, 2, 3, 4]);

// Written by `ssh-keygen -t ed25519 -N '' -C x` (OpenSSH 9, 70-column lines); a throwaway test key.
const SSH_KEYGEN_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBAP5EybpUPq6xOpw9gImJGu7uRJxIhX4o/stwKFXQ+rgAAAIheLadxXi2n
cQAAAAtzc2gtZWQyNTUxOQAAACBAP5EybpUPq6xOpw9gImJGu7uRJxIhX4o/stwKFXQ+rg
AAAEDfNLPg4XRFCfMEJoxGTcavvo+vU9E8BfEnXcP1U5zIhkA/kTJulQ+rrE6nD2AiYka7
u5EnEiFfij+y3AoVdD6uAAAAAXgBAgME
-----END OPENSSH PRIVATE KEY-----
`;
const SSH_KEYGEN_PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEA/kTJulQ+rrE6nD2AiYka7u5EnEiFfij+y3AoVdD6u x\n';

/** Rewrite the base64 body of a private key PEM through `edit`. */
function editPem(pem: string, edit: (blob: Uint8Array) => Uint8Array): string {
  const body = pem.split('\n').slice(1, -2).join('');
  const b64 = toBase64(edit(fromBase64(body)));
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** Offset of the private section (after prefix, public blob and its length field). */
const PRIV_OFFSET = 15 + 8 + 8 + 8 + 4 + 51 + 4;

describe('OpenSSH public keys', () => {
  it('parses a key line with or without comment, policy option, tabs and CRLF', () => {
    for (const text of [LINE, `ssh-ed25519 ${B64}`, `ssh-ed25519\t${B64}\tc\r\n`, `  ssh-ed25519 ${B64} a b c\n`]) {
      const k = parseOpenSshPublicKey(text);
      expect(toHex(k.publicKey)).toBe(toHex(PUB));
      expect(toHex(k.keyHash)).toBe('1c983d217c550c7442e5e7ec4c1f49d1c5a9bdec456832b1d650d61c193e3dd5');
      expect(k.policyName).toBeUndefined();
    }
    expect(parseOpenSshPublicKey(`sigsum-policy="sigsum-test-2025-3" ${LINE}`).policyName).toBe('sigsum-test-2025-3');
  });

  it.each<[string, string, RegExp]>([
    ['', 'keys.fields', /expected "ssh-ed25519 <base64>/],
    ['ssh-ed25519\n', 'keys.fields', /expected/],
    [`ssh-rsa ${B64}`, 'keys.type', /unsupported public key type: "ssh-rsa"/],
    [`SSH-ED25519 ${B64}`, 'keys.type', /unsupported/],
    [`ssh-ed25519 ${B64.slice(0, -2)}!!`, 'keys.base64', /illegal base64 data at input byte 66/],
    [`ssh-ed25519 ${B64.slice(0, -1)}`, 'keys.base64', /illegal base64 data/],
    [`ssh-ed25519 ${B64.slice(0, -1)}=`, 'keys.blob-length', /invalid public key length: 50/],
    [`ssh-ed25519 ${B64}AA==`, 'keys.blob-length', /length: 52/],
    ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE4AAAAICji2fO6pcYVYkmF6FZ1SjH+6IDRMnZ7oFVCPzB3Pdwt', 'keys.blob-prefix', /invalid public key blob prefix/],
    [`sigsum-policy=x ${LINE}`, 'keys.policy-option', /too short/],
    [`sigsum-policy=abc ${LINE}`, 'keys.policy-option', /initial quotation mark not found/],
    [`sigsum-policy="abc ${LINE}`, 'keys.policy-option', /final quotation mark not found/],
    [`sigsum-policy="" ${LINE}`, 'keys.policy-option', /too short/],
    [`sigsum-policy="a'b" ${LINE}`, 'keys.policy-option', /forbidden character/],
    ['sigsum-policy="p" ssh-ed25519\n', 'keys.fields', /after the sigsum-policy option/],
  ])('rejects %j as %s', (text, code, message) => {
    const e = parseErrorOf(() => parseOpenSshPublicKey(text));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.where).toBe('public key');
  });

  it('parses a keys file: comments, blank lines, several keys; names the failing line', () => {
    const other = formatOpenSshPublicKey(publicKeyFromSeed(new Uint8Array(32).fill(7)));
    const keys = parseOpenSshPublicKeys(`# submitters\n\n${LINE.replace('\n', '\r\n')}${other}`);
    expect(keys.map((k) => k.line)).toEqual([3, 4]);
    expect(policyNameOfKeys(keys)).toBeUndefined();

    let e = parseErrorOf(() => parseOpenSshPublicKeys(`${LINE}${other}${LINE}`));
    expect([e.code, e.where, e.message]).toEqual(['keys.duplicate', 'keys file line 3', 'keys file line 3: duplicate public key']);
    e = parseErrorOf(() => parseOpenSshPublicKeys('# only a comment\n\n'));
    expect([e.code, e.where]).toEqual(['keys.empty', 'keys file']);
    e = parseErrorOf(() => parseOpenSshPublicKeys(`${LINE}ssh-rsa AAAA\n`));
    expect([e.code, e.where]).toEqual(['keys.type', 'keys file line 2']);
    e = parseErrorOf(() => parseOpenSshPublicKeys('#'.repeat(65536)));
    expect([e.code, e.where]).toEqual(['keys.line-too-long', 'keys file line 1']);
    e = parseErrorOf(() => parseOpenSshPublicKeys(`${'#'.repeat(70000)}\n`));
    expect([e.code, e.where, e.message]).toEqual(['keys.too-large', 'keys file', 'keys file: more than 65536 characters']);
    for (const f of [parseOpenSshPublicKey, parseOpenSshPrivateKey, parsePrivateKeyFile]) expect(parseErrorOf(() => f(' '.repeat(65537))).code).toBe('keys.too-large');
  });

  it('requires all keys of a file to name the same policy', () => {
    const a = parseOpenSshPublicKeys(`sigsum-policy="p1" ${LINE}`);
    expect(policyNameOfKeys(a)).toBe('p1');
    const other = formatOpenSshPublicKey(publicKeyFromSeed(new Uint8Array(32).fill(7)), { policyName: 'p2' });
    const b = parseOpenSshPublicKeys(`sigsum-policy="p1" ${LINE}${other}`);
    const e = parseErrorOf(() => policyNameOfKeys(b));
    expect([e.code, e.where]).toEqual(['keys.policy-conflict', 'keys file line 2']);
  });

  it('formats lines as sigsum-go does and refuses bad options', () => {
    expect(formatOpenSshPublicKey(PUB)).toBe(LINE);
    expect(formatOpenSshPublicKey(PUB, { comment: '' })).toBe(`ssh-ed25519 ${B64}\n`);
    expect(formatOpenSshPublicKey(PUB, { policyName: 'sigsum-generic-2025-1' })).toBe(`sigsum-policy="sigsum-generic-2025-1" ${LINE}`);
    expect(() => formatOpenSshPublicKey(PUB, { comment: 'a\nb' })).toThrow(TypeError);
    expect(() => formatOpenSshPublicKey(PUB, { policyName: 'a b' })).toThrow(TypeError);
    expect(() => formatOpenSshPublicKey(PUB.subarray(1))).toThrow(TypeError);
    expect(toHex(parseSshPublicKeyBlob(sshPublicKeyBlob(PUB)))).toBe(toHex(PUB));
  });
});

describe('OpenSSH private keys', () => {
  it('round-trips: serialization is reproducible for a check-int, parse gives seed, key, check-int and comment', () => {
    const pem = formatOpenSshPrivateKey(SEED, CHECK);
    expect(formatOpenSshPrivateKey(SEED, CHECK)).toBe(pem);
    expect(pem.split('\n').slice(1, -2).every((l) => l.length <= 64)).toBe(true);
    const k = parseOpenSshPrivateKey(pem);
    expect([toHex(k.seed), toHex(k.publicKey), toHex(k.checkInt), k.comment]).toEqual([toHex(SEED), toHex(PUB), '01020304', '']);
    for (const comment of ['c', 'sigsum key', 'seven!!', 'a longer comment of many bytes']) {
      expect(parseOpenSshPrivateKey(formatOpenSshPrivateKey(SEED, CHECK, comment)).comment).toBe(comment);
    }
  });

  it('reads keys written by ssh-keygen (70-column PEM, comment, padding)', () => {
    const k = parseOpenSshPrivateKey(SSH_KEYGEN_KEY);
    expect(k.comment).toBe('x');
    expect(formatOpenSshPublicKey(k.publicKey, { comment: 'x' })).toBe(SSH_KEYGEN_PUB);
    expect(toHex(publicKeyFromSeed(k.seed))).toBe(toHex(k.publicKey));
    // Text before the PEM block is skipped, as Go's pem.Decode does.
    expect(toHex(parseOpenSshPrivateKey(`garbage\n${SSH_KEYGEN_KEY}`).seed)).toBe(toHex(k.seed));
  });

  it('rejects each kind of malformed private key with its code', () => {
    const pem = formatOpenSshPrivateKey(SEED, CHECK);
    const flip = (i: number) => (b: Uint8Array) => {
      b[i] = b[i]! ^ 1;
    };
    const edit = (f: (b: Uint8Array) => void) =>
      editPem(pem, (b) => {
        const c = b.slice();
        f(c);
        return c;
      });
    const cases: [string, string, string][] = [
      ['not a key', 'keys.not-pem', 'not a PEM file'],
      [pem.replace(/OPENSSH PRIVATE KEY/g, 'PRIVATE KEY'), 'keys.pem-type', 'unexpected PEM type "PRIVATE KEY"'],
      ['-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n', 'keys.encrypted', 'invalid or encrypted'],
      [edit((b) => b.set(new TextEncoder().encode('aes2'), 19)), 'keys.encrypted', 'invalid or encrypted'],
      [edit(flip(PRIV_OFFSET)), 'keys.check-int', 'check-ints differ'],
      [edit(flip(PRIV_OFFSET + 8 + 50)), 'keys.inner-public-key', 'inner public key differs'],
      [edit(flip(PRIV_OFFSET + 8 + 51 + 4)), 'keys.inconsistent-private-key', 'the seed does not derive the public key'],
      [edit(flip(PRIV_OFFSET + 8 + 51 + 4 + 40)), 'keys.inconsistent-public-key', 'public key copy'],
      [edit((b) => (b[b.length - 1] = 9)), 'keys.padding', 'padding byte 4 is 9, want 5'],
      [editPem(pem, (b) => b.subarray(0, b.length - 1)), 'keys.private-length', 'does not match'],
      [editPem(pem, (b) => b.subarray(0, 40)), 'keys.truncated', 'truncated before public key length'],
      [editPem(pem, (b) => b.subarray(0, 50)), 'keys.truncated', 'public key length 51 exceeds the 7 remaining bytes'],
    ];
    for (const [text, code, message] of cases) {
      const e = parseErrorOf(() => parseOpenSshPrivateKey(text));
      expect([e.code, e.where]).toEqual([code, 'private key']);
      expect(e.message).toContain(message);
    }
  });

  it('classifies private key files as sigsum-go does: public key (agent), OpenSSH PEM, or hex seed', () => {
    const pub = parsePrivateKeyFile(`\n${LINE}\n`);
    expect(pub.kind).toBe('public');
    const pem = parsePrivateKeyFile(formatOpenSshPrivateKey(SEED, CHECK));
    expect(pem.kind === 'private' && pem.format === 'openssh' && toHex(pem.key.seed)).toBe(toHex(SEED));
    const hex = parsePrivateKeyFile(`${toHex(SEED).toUpperCase()}\n`);
    expect(hex.kind === 'private' && hex.format === 'hex' && toHex(hex.key.publicKey)).toBe(toHex(PUB));
    // Trimmed like Go's strings.TrimSpace: Unicode spaces go, a BOM stays (and fails as hex).
    expect(parsePrivateKeyFile(`\u3000\n${toHex(SEED)}\u00a0 `).kind).toBe('private');
    expect(parseErrorOf(() => parsePrivateKeyFile(`\ufeff${toHex(SEED)}`)).code).toBe('hex.length');
    const e = parseErrorOf(() => parsePrivateKeyFile('not a key'));
    expect([e.code, e.where]).toEqual(['hex.length', 'private key']);
    const short = parseErrorOf(() => parsePrivateKeyFile(toHex(SEED).slice(2)));
    expect(short.code).toBe('hex.length');
    expect(() => formatOpenSshPrivateKey(SEED, new Uint8Array(3))).toThrow(TypeError);
    expect(() => formatOpenSshPrivateKey(SEED.subarray(1), CHECK)).toThrow(TypeError);
    expect(toHex(keyHash(PUB))).toBe('1c983d217c550c7442e5e7ec4c1f49d1c5a9bdec456832b1d650d61c193e3dd5');
  });
});

describe('key parsers robustness', () => {
  it('either parse or throw a ParseError, for arbitrary text and mutations of valid keys', async () => {
    const fc = (await import('fast-check')).default;
    const total = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    };
    const all = (s: string) => {
      total(() => parseOpenSshPublicKey(s));
      total(() => parseOpenSshPublicKeys(s));
      total(() => parseOpenSshPrivateKey(s));
      total(() => parsePrivateKeyFile(s));
    };
    fc.assert(fc.property(fc.string({ maxLength: 200 }), all), { numRuns: 300 });
    const pem = formatOpenSshPrivateKey(SEED, CHECK, 'comment');
    const mutate = (s: string) =>
      fc.property(fc.nat(s.length - 1), fc.constantFrom(...'AZaz09+/=\n\r -#"'.split('')), (i, c) => all(s.slice(0, i) + c + s.slice(i + 1)));
    fc.assert(mutate(pem), { numRuns: 400 });
    fc.assert(mutate(`sigsum-policy="p" ${LINE}`), { numRuns: 300 });
    // Mutations of the binary blob itself (valid base64 around them).
    fc.assert(
      fc.property(fc.nat(200), fc.integer({ min: 0, max: 255 }), (i, v) =>
        total(() =>
          parseOpenSshPrivateKey(
            editPem(pem, (b) => {
              const c = b.slice();
              c[i % c.length] = v;
              return c;
            }),
          ),
        ),
      ),
      { numRuns: 400 },
    );
  });
});
