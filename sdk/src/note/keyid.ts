/**
 * C2SP signed-note key IDs and the key names Sigsum uses.
 * key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4].
 */
import { concatBytes, utf8 } from '../encoding/bytes.js';
import { toHex } from '../encoding/hex.js';
import { sha256 } from '../crypto/sha256.js';

/** Signature type byte of a plain Ed25519 note signature (the log's checkpoint signature). */
export const SIG_TYPE_ED25519 = 0x01;
/** Signature type byte of a C2SP tlog-cosignature `cosignature/v1` signature (witnesses). */
export const SIG_TYPE_COSIGNATURE = 0x04;
/** Size of a note key ID. */
export const KEY_ID_SIZE = 4;
/** Prefix of a Sigsum witness key name. */
export const WITNESS_KEY_NAME_PREFIX = 'sigsum.org/v1/witness/';

/** The signature types the SDK understands. */
export type NoteSignatureType = typeof SIG_TYPE_ED25519 | typeof SIG_TYPE_COSIGNATURE;

/** Key ID of a note key: SHA-256(name ‖ "\n" ‖ type ‖ publicKey)[:4]. */
export function keyId(name: string, type: number, publicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey)).slice(0, KEY_ID_SIZE);
}

/** Key name of a Sigsum witness in cosignature note lines: `sigsum.org/v1/witness/<hex key hash>`. */
export function witnessKeyName(witnessKeyHash: Uint8Array): string {
  return WITNESS_KEY_NAME_PREFIX + toHex(witnessKeyHash);
}
