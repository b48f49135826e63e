/**
 * OpenSSH key formats for Ed25519, pure and isomorphic: the one-line public
 * key (`ssh-ed25519 <base64> [comment]`, optionally prefixed by the option
 * `sigsum-policy="<name>"`), files holding several public keys, the
 * unencrypted `openssh-key-v1` private key PEM, and raw hex keys.
 *
 * Verdicts follow sigsum-go (`key.ParsePublicKeyWithPolicyName`,
 * `key.ParsePublicKeys`, `key.ParsePrivateKey`); where sigsum-go is more lenient
 * than OpenSSH about the private key's padding we follow OpenSSH (see
 * docs/sdk-policy-proof.md).
 */
import { ParseError } from '../errors.js';
import { bytesEqual, concatBytes, utf8 } from '../encoding/bytes.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { decodeBase64Go, toBase64 } from '../encoding/base64.js';
import { SshWireReader, sshString, sshUint32, type SshWireErrors } from './ssh-wire.js';
import { keyHash } from '../crypto/keyhash.js';
import { PUBLIC_KEY_SIZE, SEED_SIZE } from '../crypto/ed25519.js';
import { publicKeyFromSeed } from '../crypto/ed25519-noble.js';

/** The OpenSSH key type name of Ed25519 keys. */
export const SSH_ED25519 = 'ssh-ed25519';
/** PEM type label of OpenSSH private keys. */
export const OPENSSH_PRIVATE_KEY_LABEL = 'OPENSSH PRIVATE KEY';
/** Comment sigsum-go writes after generated public keys. */
export const DEFAULT_KEY_COMMENT = 'sigsum key';

/**
 * Largest key text accepted (characters). A key is a few hundred bytes; the
 * bound also keeps PEM scanning (quadratic in the number of `-----BEGIN`
 * markers, as in Go) cheap on hostile input.
 */
export const MAX_KEY_FILE_SIZE = 64 * 1024;
// bufio.Scanner's default token limit, which bounds one line of a keys file in Go.
const MAX_LINE = 64 * 1024;

/** A parsed OpenSSH Ed25519 public key line. */
export interface OpenSshPublicKey {
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** SHA-256 of the public key (the Sigsum key hash). */
  readonly keyHash: Uint8Array;
  /** Name from a `sigsum-policy="<name>"` option, if present. */
  readonly policyName: string | undefined;
  /** 1-based line number within a keys file (1 for a single line). */
  readonly line: number;
}

/** A parsed unencrypted OpenSSH Ed25519 private key. */
export interface OpenSshPrivateKey {
  /** The 32-byte RFC 8032 seed (secret: never log it). */
  readonly seed: Uint8Array;
  /** The matching raw 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The 4-byte check-int (repeated twice in the file). */
  readonly checkInt: Uint8Array;
  /** The key comment (usually empty for sigsum-go keys), decoded as UTF-8. */
  readonly comment: string;
}

/**
 * What a private key file holds: an OpenSSH/hex private key, or a public key
 * whose private half lives in ssh-agent (resolved by `keys/node.ts`).
 */
export type PrivateKeyFile =
  | {
      /** The file holds the private key. */
      readonly kind: 'private';
      /** OpenSSH private key format, or sigsum-go's raw hex seed. */
      readonly format: 'openssh' | 'hex';
      /** The key. */
      readonly key: OpenSshPrivateKey | RawPrivateKey;
    }
  | {
      /** The file holds a public key (the private half is expected in ssh-agent). */
      readonly kind: 'public';
      /** The key. */
      readonly key: OpenSshPublicKey;
    };

/** A private key given as 64 hex digits (sigsum-go's deprecated raw format). */
export interface RawPrivateKey {
  /** The 32-byte seed. */
  readonly seed: Uint8Array;
  /** The matching public key. */
  readonly publicKey: Uint8Array;
}

/** The SSH public key blob of an Ed25519 key: `string "ssh-ed25519" || string key`. */
export function sshPublicKeyBlob(publicKey: Uint8Array): Uint8Array {
  checkLength(publicKey, PUBLIC_KEY_SIZE, 'public key');
  return concatBytes(sshString(SSH_ED25519), sshString(publicKey));
}

const BLOB_PREFIX = concatBytes(sshString(SSH_ED25519), sshUint32(PUBLIC_KEY_SIZE));

function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  return b.length >= prefix.length && bytesEqual(b.subarray(0, prefix.length), prefix);
}

/** Parse an Ed25519 SSH public key blob into the raw key. */
export function parseSshPublicKeyBlob(blob: Uint8Array, where = 'public key'): Uint8Array {
  if (!startsWith(blob, BLOB_PREFIX)) throw new ParseError('keys.blob-prefix', 'invalid public key blob prefix', where);
  if (blob.length !== BLOB_PREFIX.length + PUBLIC_KEY_SIZE) {
    throw new ParseError('keys.blob-length', `invalid public key length: ${blob.length}`, where);
  }
  return blob.slice(BLOB_PREFIX.length);
}

/** Key-file reading errors: `keys.truncated`, naming the field. */
function keyFileErrors(where: string): SshWireErrors {
  return {
    short: (r) =>
      new ParseError('keys.truncated', r.kind === 'string' ? `${r.what} length ${r.length} exceeds the ${r.remaining} remaining bytes` : r.kind === 'uint32' ? `truncated before ${r.what}` : `truncated ${r.what}`, where),
    trailing: (n) => new ParseError('keys.trailing', `${n} trailing bytes`, where),
  };
}

function checkLength(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new TypeError(`${what} must be ${n} bytes`);
}

/** Base64 as sigsum-go reads key files (Go's StdEncoding), failing with Go's message. */
function goBase64Decode(s: string, where: string): Uint8Array {
  const r = decodeBase64Go(s);
  if ('illegalAt' in r) throw new ParseError('keys.base64', `illegal base64 data at input byte ${r.illegalAt}`, where);
  return r.bytes;
}

// ---------------------------------------------------------------------------
// Public keys

const POLICY_OPTION = 'sigsum-policy=';

/** Extract the policy name from a `sigsum-policy="<name>"` option field. */
function policyOption(field: string, where: string): string | undefined {
  if (!field.startsWith(POLICY_OPTION)) return undefined;
  const quoted = field.slice(POLICY_OPTION.length);
  const fail = (why: string): never => {
    throw new ParseError('keys.policy-option', `invalid sigsum-policy option ${JSON.stringify(field)}: ${why}`, where);
  };
  if (quoted.length < 3) fail('too short');
  if (!quoted.startsWith('"')) fail('initial quotation mark not found');
  if (!quoted.endsWith('"')) fail('final quotation mark not found');
  const name = quoted.slice(1, -1);
  if (/["'\\ \n]/.test(name)) fail('name contains forbidden character');
  return name;
}

/**
 * Parse one OpenSSH public key line, `[sigsum-policy="<name>"] ssh-ed25519
 * <base64> [comment]`. Fields are separated by runs of SP/TAB only; anything
 * after the key is a comment.
 * @param where names the input in error messages.
 * @throws ParseError (code `keys.*`) naming what is wrong.
 */
export function parseOpenSshPublicKey(text: string, where = 'public key', line = 1): OpenSshPublicKey {
  if (text.length > MAX_KEY_FILE_SIZE) throw new ParseError('keys.too-large', `more than ${MAX_KEY_FILE_SIZE} characters`, where);
  let fields = text.split(/[ \t]+/).filter((f) => f !== '');
  if (fields.length < 2) throw new ParseError('keys.fields', 'invalid public key: expected "ssh-ed25519 <base64> [comment]"', where);
  const policyName = policyOption(fields[0]!, where);
  if (policyName !== undefined) {
    fields = fields.slice(1);
    if (fields.length < 2) throw new ParseError('keys.fields', 'invalid public key after the sigsum-policy option', where);
  }
  if (fields[0] !== SSH_ED25519) {
    throw new ParseError('keys.type', `unsupported public key type: ${JSON.stringify(fields[0]!.slice(0, 40))}`, where);
  }
  const blob = goBase64Decode(fields[1]!, where);
  const publicKey = parseSshPublicKeyBlob(blob, where);
  return { publicKey, keyHash: keyHash(publicKey), policyName, line };
}

/** Split text into lines like Go's bufio.ScanLines (LF ends a line; one CR before it is dropped). */
function scanLines(text: string, where: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l, i) => {
    if (l.length >= MAX_LINE) throw new ParseError('keys.line-too-long', `line longer than ${MAX_LINE - 1} bytes`, `${where} line ${i + 1}`);
    return l.endsWith('\r') ? l.slice(0, -1) : l;
  });
}

/**
 * Parse a file of OpenSSH public keys (authorized_keys style): empty lines and
 * lines starting with `#` are skipped, every other line must be an Ed25519 key;
 * duplicates and an empty file are errors (sigsum-go `key.ParsePublicKeys`).
 */
export function parseOpenSshPublicKeys(text: string, where = 'keys file'): OpenSshPublicKey[] {
  if (text.length > MAX_KEY_FILE_SIZE) throw new ParseError('keys.too-large', `more than ${MAX_KEY_FILE_SIZE} characters`, where);
  const out: OpenSshPublicKey[] = [];
  const seen = new Set<string>();
  scanLines(text, where).forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const at = `${where} line ${i + 1}`;
    const key = parseOpenSshPublicKey(line, at, i + 1);
    const kh = toHex(key.keyHash);
    if (seen.has(kh)) throw new ParseError('keys.duplicate', 'duplicate public key', at);
    seen.add(kh);
    out.push(key);
  });
  if (out.length === 0) throw new ParseError('keys.empty', 'no public keys found', where);
  return out;
}

/**
 * The single policy name of a set of keys (sigsum-go
 * `ParsePublicKeysWithPolicy`): all keys must name the same policy, or none.
 * @returns the name, or undefined when no key names one.
 */
export function policyNameOfKeys(keys: readonly OpenSshPublicKey[], where = 'keys file'): string | undefined {
  const first = keys[0]?.policyName;
  for (const k of keys) {
    if (k.policyName !== first) {
      throw new ParseError('keys.policy-conflict', `conflicting policy names ${JSON.stringify(k.policyName ?? '')} and ${JSON.stringify(first ?? '')}`, `${where} line ${k.line}`);
    }
  }
  return first;
}

/**
 * Format a public key line as sigsum-go writes it:
 * `ssh-ed25519 <base64 blob> sigsum key\n`, optionally with a policy option.
 */
export function formatOpenSshPublicKey(publicKey: Uint8Array, options: { comment?: string; policyName?: string } = {}): string {
  const comment = options.comment ?? DEFAULT_KEY_COMMENT;
  if (/[\r\n]/.test(comment)) throw new TypeError('comment must be one line');
  const prefix = options.policyName === undefined ? '' : `${POLICY_OPTION}"${checkPolicyName(options.policyName)}" `;
  return `${prefix}${SSH_ED25519} ${toBase64(sshPublicKeyBlob(publicKey))}${comment === '' ? '' : ' ' + comment}\n`;
}

function checkPolicyName(name: string): string {
  if (name === '' || /["'\\ \t\n]/.test(name)) throw new TypeError(`invalid policy name ${JSON.stringify(name)}`);
  return name;
}

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

/**
 * Parse a raw hex key: exactly 32 bytes as 64 hex digits (either case).
 * Used for `sigsum-key from-hex` input and sigsum-go's deprecated raw private keys.
 */
export function parseHexKey(text: string, where = 'hex key'): Uint8Array {
  return fromHex(text, where, 32);
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
