/**
 * OpenSSH key formats for Ed25519, pure and isomorphic: the one-line public
 * key (`ssh-ed25519 <base64> [comment]`, optionally prefixed by the option
 * `sigsum-policy="<name>"`), files holding several public keys, the
 * raw hex keys, and the types of private keys (parsed in `openssh-private.ts`).
 *
 * Verdicts follow sigsum-go (`key.ParsePublicKeyWithPolicyName`,
 * `key.ParsePublicKeys`, `key.ParsePrivateKey`); where sigsum-go is more lenient
 * than OpenSSH about the private key's padding we follow OpenSSH (see
 * docs/sdk-policy-proof.md).
 */
import { ParseError } from '../errors.js';
import { concatBytes } from '../encoding/bytes.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { toBase64 } from '../encoding/base64.js';
import { sshString, sshUint32 } from './ssh-wire.js';
import { keyHash } from '../crypto/keyhash.js';
import { PUBLIC_KEY_SIZE } from '../crypto/ed25519.js';
import { checkLength, goBase64Decode, startsWith } from './openssh-common.js';

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


/** Parse an Ed25519 SSH public key blob into the raw key. */
export function parseSshPublicKeyBlob(blob: Uint8Array, where = 'public key'): Uint8Array {
  if (!startsWith(blob, BLOB_PREFIX)) throw new ParseError('keys.blob-prefix', 'invalid public key blob prefix', where);
  if (blob.length !== BLOB_PREFIX.length + PUBLIC_KEY_SIZE) {
    throw new ParseError('keys.blob-length', `invalid public key length: ${blob.length}`, where);
  }
  return blob.slice(BLOB_PREFIX.length);
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

/**
 * Parse a raw hex key: exactly 32 bytes as 64 hex digits (either case).
 * Used for `sigsum-key from-hex` input and sigsum-go's deprecated raw private keys.
 */
export function parseHexKey(text: string, where = 'hex key'): Uint8Array {
  return fromHex(text, where, 32);
}
