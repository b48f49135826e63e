/**
 * OpenSSH Ed25519 private keys, pure and isomorphic: the unencrypted
 * `openssh-key-v1` PEM and sigsum-go's raw hex seed (see `openssh.ts` for the
 * public key formats). A module of its own because deriving the public key of
 * a seed needs the pure-JS curve arithmetic, which code that only reads public
 * keys (a verifier) should not load.
 */
import { ParseError } from '../errors.js';
import { bytesEqual, concatBytes, utf8 } from '../encoding/bytes.js';
import { toBase64 } from '../encoding/base64.js';
import { SshWireReader, sshString, sshUint32 } from './ssh-wire.js';
import { SEED_SIZE } from '../crypto/ed25519.js';
import { publicKeyFromSeed } from '../crypto/ed25519-noble.js';
import { checkLength, goBase64Decode, keyFileErrors, startsWith } from './openssh-common.js';
import {
  MAX_KEY_FILE_SIZE,
  OPENSSH_PRIVATE_KEY_LABEL,
  parseHexKey,
  parseOpenSshPublicKey,
  parseSshPublicKeyBlob,
  sshPublicKeyBlob,
  type OpenSshPrivateKey,
  type PrivateKeyFile,
} from './openssh.js';

// ---------------------------------------------------------------------------
// Private keys

const AUTH_MAGIC = concatBytes(utf8('openssh-key-v1'), new Uint8Array([0]));
// cipher "none", kdf "none", empty kdf options, one key.
const NONE_PREFIX = concatBytes(AUTH_MAGIC, sshString('none'), sshString('none'), sshUint32(0), sshUint32(1));
const BLOCK_SIZE = 8; // cipher block size of "none"

/** Go's pem.Decode for the first well-formed block (text before it is ignored). */
function pemDecode(text: string): { type: string; bytes: Uint8Array } | undefined {
  const getLine = (s: string): [string, string] => {
    const i = s.indexOf('\n');
    const line = i < 0 ? s : s.slice(0, i);
    return [line.replace(/[ \t\r]+$/, ''), i < 0 ? '' : s.slice(i + 1)];
  };
  let rest = text;
  for (;;) {
    if (rest.startsWith('-----BEGIN ')) rest = rest.slice('-----BEGIN '.length);
    else {
      const i = rest.indexOf('\n-----BEGIN ');
      if (i < 0) return undefined;
      rest = rest.slice(i + '\n-----BEGIN '.length);
    }
    let typeLine: string;
    [typeLine, rest] = getLine(rest);
    if (!typeLine.endsWith('-----')) continue;
    const type = typeLine.slice(0, -5);
    // Optional "Key: value" headers; an unencrypted OpenSSH key has none, but Go skips them.
    let headers = 0;
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      if (!line.includes(':')) break;
      headers++;
      rest = next;
    }
    if (truncated) return undefined;
    let endIndex: number;
    let trailerIndex: number;
    if (headers === 0 && rest.startsWith('-----END ')) {
      endIndex = 0;
      trailerIndex = '-----END '.length;
    } else {
      endIndex = rest.indexOf('\n-----END ');
      trailerIndex = endIndex + '\n-----END '.length;
    }
    if (endIndex < 0) continue;
    const trailer = rest.slice(trailerIndex);
    const want = type + '-----';
    if (!trailer.startsWith(want)) continue;
    if (getLine(trailer.slice(want.length))[0] !== '') continue;
    const body = rest.slice(0, endIndex).replace(/[ \t]/g, '');
    let bytes: Uint8Array;
    try {
      bytes = goBase64Decode(body, 'PEM');
    } catch {
      continue;
    }
    return { type, bytes };
  }
}

/**
 * Parse an unencrypted OpenSSH Ed25519 private key (`openssh-key-v1`, cipher
 * and kdf `none`, one key). Checks the two check-ints, the embedded public key
 * copies, that the seed derives the public key, and OpenSSH's padding rule
 * (1, 2, 3, ... up to the 8-byte block size).
 * @throws ParseError (code `keys.*`).
 */
export function parseOpenSshPrivateKey(text: string, where = 'private key'): OpenSshPrivateKey {
  if (text.length > MAX_KEY_FILE_SIZE) throw new ParseError('keys.too-large', `more than ${MAX_KEY_FILE_SIZE} characters`, where);
  const block = pemDecode(text);
  if (block === undefined) throw new ParseError('keys.not-pem', 'not a PEM file', where);
  return parseOpenSshPrivateKeyBlock(block.type, block.bytes, where);
}

function parseOpenSshPrivateKeyBlock(type: string, blob: Uint8Array, where: string): OpenSshPrivateKey {
  if (type !== OPENSSH_PRIVATE_KEY_LABEL) throw new ParseError('keys.pem-type', `unexpected PEM type ${JSON.stringify(type)}`, where);
  if (!startsWith(blob, NONE_PREFIX)) {
    throw new ParseError('keys.encrypted', 'invalid or encrypted private key (only unencrypted openssh-key-v1 with one key is supported)', where);
  }
  const r = new SshWireReader(blob.subarray(NONE_PREFIX.length), keyFileErrors(where));
  const pubBlob = r.string('public key');
  const publicKey = parseSshPublicKeyBlob(pubBlob, where);
  const length = r.uint32('private section length');
  if (length !== r.remaining || length % BLOCK_SIZE !== 0) {
    throw new ParseError('keys.private-length', `private section length ${length} does not match the ${r.remaining} remaining bytes or is not a multiple of ${BLOCK_SIZE}`, where);
  }
  const check1 = r.bytes(4, 'check-int');
  const check2 = r.bytes(4, 'check-int');
  if (!bytesEqual(check1, check2)) throw new ParseError('keys.check-int', 'check-ints differ (wrong passphrase or corrupt key)', where);
  const innerBlob = r.bytes(pubBlob.length, 'inner public key');
  if (!bytesEqual(innerBlob, pubBlob)) throw new ParseError('keys.inner-public-key', 'inner public key differs from the outer one', where);
  const keys = r.string('private key');
  if (keys.length !== 64) throw new ParseError('keys.private-size', `unexpected private key size ${keys.length}, want 64`, where);
  if (!bytesEqual(keys.subarray(32), publicKey)) throw new ParseError('keys.inconsistent-public-key', 'public key copy inside the private key differs', where);
  const seed = keys.slice(0, 32);
  if (!bytesEqual(publicKeyFromSeed(seed), publicKey)) throw new ParseError('keys.inconsistent-private-key', 'the seed does not derive the public key', where);
  const comment = r.string('comment');
  const padding = r.rest();
  if (padding.length >= BLOCK_SIZE) throw new ParseError('keys.padding', `${padding.length} bytes of padding, want fewer than ${BLOCK_SIZE}`, where);
  for (let i = 0; i < padding.length; i++) {
    if (padding[i] !== i + 1) throw new ParseError('keys.padding', `padding byte ${i} is ${padding[i]}, want ${i + 1}`, where);
  }
  // The comment is free text (not checked by OpenSSH or Go); invalid UTF-8 shows as U+FFFD.
  return { seed, publicKey: publicKey.slice(), checkInt: check1.slice(), comment: new TextDecoder().decode(comment) };
}

/**
 * Serialize an unencrypted OpenSSH Ed25519 private key exactly as sigsum-go
 * does (PEM with 64-character lines, empty comment, padding 1, 2, 3, ...).
 * The output is reproducible given the check-int; pass 4 random bytes for a
 * new file (`crypto.getRandomValues`).
 */
export function formatOpenSshPrivateKey(seed: Uint8Array, checkInt: Uint8Array, comment = ''): string {
  checkLength(seed, SEED_SIZE, 'seed');
  checkLength(checkInt, 4, 'check-int');
  const publicKey = publicKeyFromSeed(seed);
  const pubBlob = sshPublicKeyBlob(publicKey);
  const unpadded = concatBytes(checkInt, checkInt, pubBlob, sshString(concatBytes(seed, publicKey)), sshString(comment));
  const padLength = (BLOCK_SIZE - (unpadded.length % BLOCK_SIZE)) % BLOCK_SIZE;
  const padding = Uint8Array.from({ length: padLength }, (_, i) => i + 1);
  const priv = concatBytes(unpadded, padding);
  const blob = concatBytes(NONE_PREFIX, sshString(pubBlob), sshUint32(priv.length), priv);
  const b64 = toBase64(blob);
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${OPENSSH_PRIVATE_KEY_LABEL}-----\n${body}-----END ${OPENSSH_PRIVATE_KEY_LABEL}-----\n`;
}


// Unicode White_Space as Go's strings.TrimSpace uses it (unlike JS \s, no U+FEFF).
const GO_WS = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const GO_SPACE = new RegExp(`^${GO_WS}+|${GO_WS}+$`, 'g');

/**
 * Parse the contents of a private key file as sigsum-go's
 * `key.ParsePrivateKey` does: a public key line means "the private key is in
 * ssh-agent" (returned as `kind: 'public'`); otherwise an OpenSSH private key
 * PEM; otherwise 64 hex digits of a raw seed.
 */
export function parsePrivateKeyFile(text: string, where = 'private key'): PrivateKeyFile {
  if (text.length > MAX_KEY_FILE_SIZE) throw new ParseError('keys.too-large', `more than ${MAX_KEY_FILE_SIZE} characters`, where);
  const trimmed = text.replace(GO_SPACE, '');
  try {
    return { kind: 'public', key: parseOpenSshPublicKey(trimmed, where) };
  } catch {
    // Not a public key: try the private formats.
  }
  const block = pemDecode(trimmed);
  if (block !== undefined) return { kind: 'private', format: 'openssh', key: parseOpenSshPrivateKeyBlock(block.type, block.bytes, where) };
  const seed = parseHexKey(trimmed, where);
  return { kind: 'private', format: 'hex', key: { seed, publicKey: publicKeyFromSeed(seed) } };
}
