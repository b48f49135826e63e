/**
 * C2SP tlog-cosignature note lines (`cosignature/v1`, type 0x04):
 * `— <key name> base64(key ID ‖ timestamp u64 BE ‖ signature)`. A Sigsum
 * witness uses the key name `sigsum.org/v1/witness/<hex key hash>`.
 */
import { OutOfRangeError } from '../errors.js';
import { bytesEqual, concatBytes, uint64be, utf8 } from '../encoding/bytes.js';
import { MAX_UINT63 } from '../encoding/integer.js';
import { SIGNATURE_SIZE, verify, type Signer } from '../crypto/ed25519.js';
import { keyHash } from '../crypto/keyhash.js';
import { cosignedText, type Cosignature, type TreeHead } from '../types/tree-head.js';
import { KEY_ID_SIZE, SIG_TYPE_COSIGNATURE, keyId, witnessKeyName } from './keyid.js';
import { formatNoteSignatureLine, splitNoteSignatureLine } from './signed-note.js';
import { noteReader } from './checkpoint.js';

/** Size of a cosignature line's blob: key ID, timestamp, signature. */
const COSIGNATURE_BLOB_SIZE = KEY_ID_SIZE + 8 + SIGNATURE_SIZE;

/** One cosignature note line. */
export interface CosignatureLine {
  /** Witness key name. */
  readonly keyName: string;
  /** keyId(keyName, 0x04, witness public key). */
  readonly keyId: Uint8Array;
  /** Unix seconds. */
  readonly timestamp: bigint;
  /** Ed25519 signature over the cosigned text. */
  readonly signature: Uint8Array;
}

/** Format one cosignature line (with its newline). */
export function formatCosignatureLine(c: CosignatureLine): string {
  if (c.timestamp < 0n || c.timestamp > 0xffffffffffffffffn) throw new TypeError('timestamp out of range');
  if (c.signature.length !== SIGNATURE_SIZE) throw new TypeError(`signature must be ${SIGNATURE_SIZE} bytes`);
  return formatNoteSignatureLine({ name: c.keyName, keyId: c.keyId, signature: concatBytes(uint64be(c.timestamp), c.signature) });
}

/**
 * Parse cosignature lines (an `add-checkpoint` 200 response) as sigsum-go's
 * `CosignatureLinesFromASCII`: every line must be a well-formed signature line;
 * lines whose blob is not 4 + 8 + 64 bytes (other signature types) are skipped.
 * Timestamps use the full u64 range.
 * @throws ParseError `ascii.*`, `note.signature-line`, `base64.*`.
 */
export function parseCosignatureLines(body: string | Uint8Array, options: { maxBytes?: number } = {}): CosignatureLine[] {
  const r = noteReader(body, options.maxBytes ?? 1 << 16);
  const out: CosignatureLine[] = [];
  while (!r.atEnd()) {
    const where = `line ${r.lineNumber}`;
    const { name, blob } = splitNoteSignatureLine(r.line('cosignature line'), where);
    if (blob.length !== COSIGNATURE_BLOB_SIZE) continue;
    // Full u64 as in sigsum-go; only the Sigsum ASCII form is limited to 2^63 - 1.
    const timestamp = new DataView(blob.buffer, blob.byteOffset + KEY_ID_SIZE, 8).getBigUint64(0, false);
    out.push({ keyName: name, keyId: blob.slice(0, KEY_ID_SIZE), timestamp, signature: blob.slice(KEY_ID_SIZE + 8) });
  }
  return out;
}

/** Serialize cosignature lines (an `add-checkpoint` 200 response body). */
export function serializeCosignatureLines(lines: readonly CosignatureLine[]): string {
  return lines.map(formatCosignatureLine).join('');
}

/**
 * Cosign a checkpoint as a witness: signs `cosignature/v1\ntime <ts>\n` + the
 * checkpoint text under `origin`; the key name defaults to the Sigsum witness name.
 */
export async function cosignCheckpoint(signer: Signer, th: TreeHead, origin: string, timestamp: bigint, keyName?: string): Promise<CosignatureLine> {
  const name = keyName ?? witnessKeyName(keyHash(signer.publicKey));
  const signature = await signer.sign(utf8(cosignedText(th, origin, timestamp)));
  return { keyName: name, keyId: keyId(name, SIG_TYPE_COSIGNATURE, signer.publicKey), timestamp, signature };
}

/**
 * Verify a cosignature line for a witness key, as sigsum-go's
 * `VerifyCosignatureByKey` for one line: the key ID must match (name, 0x04,
 * key) and the signature must verify. Returns false otherwise; never throws.
 */
export async function verifyCosignatureLine(line: CosignatureLine, witnessPublicKey: Uint8Array, th: TreeHead, origin: string): Promise<boolean> {
  if (!bytesEqual(line.keyId, keyId(line.keyName, SIG_TYPE_COSIGNATURE, witnessPublicKey))) return false;
  if (line.timestamp < 0n || line.timestamp > 0xffffffffffffffffn || th.size < 0n || th.size > MAX_UINT63) return false;
  return verify(witnessPublicKey, utf8(cosignedText(th, origin, line.timestamp)), line.signature);
}

/**
 * The Sigsum ASCII cosignature (key hash form) of a cosignature line made by `witnessPublicKey`.
 * @throws OutOfRangeError `integer.range` for a timestamp the ASCII form cannot carry (≥ 2^63).
 */
export function cosignatureFromLine(line: CosignatureLine, witnessPublicKey: Uint8Array): Cosignature {
  if (line.timestamp > MAX_UINT63) throw new OutOfRangeError('integer.range', `timestamp ${line.timestamp} exceeds 2^63-1`, 'cosignature');
  return { keyHash: keyHash(witnessPublicKey), timestamp: line.timestamp, signature: line.signature };
}
