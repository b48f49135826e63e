/**
 * Signed-note verifier keys (vkeys): `<name>+<hex key ID>+<base64(type ‖ public key)>`,
 * parsed like sigsum-go's `NoteVerifier.FromString` plus the key-ID
 * consistency check of `sigsum-key from-vkey`.
 */
import { ParseError, VerificationError } from '../errors.js';
import { bytesEqual, concatBytes } from '../encoding/bytes.js';
import { fromBase64Go, toBase64 } from '../encoding/base64.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { PUBLIC_KEY_SIZE } from '../crypto/ed25519.js';
import { KEY_ID_SIZE, SIG_TYPE_COSIGNATURE, SIG_TYPE_ED25519, keyId, type NoteSignatureType } from './keyid.js';

/** A parsed verifier key. */
export interface NoteVerifierKey {
  /** Key name (e.g. a log origin or witness name). */
  readonly name: string;
  /** 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** Signature type: 0x01 Ed25519 or 0x04 cosignature/v1. */
  readonly type: NoteSignatureType;
  /** Raw Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** Options of {@link parseVkey}. */
export interface ParseVkeyOptions {
  /** Require the key ID to match name, type and key (default true, as `sigsum-key from-vkey`). */
  checkKeyId?: boolean;
}

/**
 * Parse a vkey.
 * @throws ParseError `vkey.syntax` (fewer than 3 `+` fields, empty key data), `hex.*`, `vkey.key-id-size`,
 *   `base64.*`, `vkey.type` (unsupported type), `vkey.key-size`;
 *   VerificationError `vkey.key-id` when the key ID does not match.
 */
export function parseVkey(vkey: string, options: ParseVkeyOptions = {}): NoteVerifierKey {
  // Like Go's strings.SplitN(s, "+", 3): the name ends at the first '+', so a
  // name containing '+' fails on the key ID field.
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) throw new ParseError('vkey.syntax', 'expected <name>+<key id>+<key data>', 'vkey');
  const name = vkey.slice(0, first);
  const id = fromHex(vkey.slice(first + 1, second), 'vkey key id');
  if (id.length !== KEY_ID_SIZE) throw new ParseError('vkey.key-id-size', `key id is ${id.length} bytes, expected ${KEY_ID_SIZE}`, 'vkey key id');
  const blob = fromBase64Go(vkey.slice(second + 1), 'vkey key data');
  if (blob.length === 0) throw new ParseError('vkey.syntax', 'empty key data', 'vkey key data');
  const type = blob[0]!;
  if (type !== SIG_TYPE_ED25519 && type !== SIG_TYPE_COSIGNATURE) {
    throw new ParseError('vkey.type', `unsupported key type 0x${type.toString(16).padStart(2, '0')}`, 'vkey key data');
  }
  const publicKey = blob.slice(1);
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw new ParseError('vkey.key-size', `key is ${publicKey.length} bytes, expected ${PUBLIC_KEY_SIZE}`, 'vkey key data');
  if (options.checkKeyId !== false) {
    const want = keyId(name, type, publicKey);
    if (!bytesEqual(want, id)) throw new VerificationError('vkey.key-id', `key id ${toHex(id)} does not match name and key, expected ${toHex(want)}`, 'vkey key id');
  }
  return { name, keyId: id, type, publicKey };
}

/** Format a vkey for `name`, `type` and `publicKey` (the key ID is computed). */
export function formatVkey(name: string, type: NoteSignatureType, publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError(`public key must be ${PUBLIC_KEY_SIZE} bytes`);
  return `${name}+${toHex(keyId(name, type, publicKey))}+${toBase64(concatBytes(new Uint8Array([type]), publicKey))}`;
}
