/**
 * The Sigsum log's tlog-tiles `checkpoint`: its cosigned tree head as a
 * C2SP signed note. The note text is the checkpoint text the log signs for
 * get-tree-head (origin `sigsum.org/v1/tree/<key hash>`, size, base64 root),
 * so the log's Ed25519 note signature is the tree head signature itself; each
 * witness cosignature becomes a `cosignature/v1` line. Both forms carry the
 * same signatures, byte for byte.
 */
import { ParseError, VerificationError } from '../errors.js';
import { bytesEqual } from '../encoding/bytes.js';
import { toHex } from '../encoding/hex.js';
import { keyHash } from '../crypto/keyhash.js';
import { SIGNATURE_SIZE } from '../crypto/ed25519.js';
import { formatCheckpoint, treeHeadOrigin, type Cosignature, type CosignedTreeHead } from '../types/tree-head.js';
import { SIG_TYPE_COSIGNATURE, keyId, witnessKeyName } from '../note/keyid.js';
import { formatNoteSignatureLine, parseSignedNote } from '../note/signed-note.js';
import { formatCosignatureLine } from '../note/cosignature.js';
import { logKeyId, parseCheckpointText } from '../note/checkpoint.js';

/**
 * Format a cosigned tree head as the log's checkpoint note. Cosignatures are
 * written in their get-tree-head order, each with the Sigsum witness key name;
 * one whose witness key is not in `witnessKeys` cannot get its key ID and is
 * left out (the count left out is returned).
 */
export function formatCosignedCheckpoint(
  cth: CosignedTreeHead,
  logPublicKey: Uint8Array,
  witnessKeys: readonly Uint8Array[] = [],
): {
  /** The checkpoint as a signed note. */
  note: string;
  /** Cosignatures left out because their witness key is not in `witnessKeys`. */
  omitted: number;
} {
  const origin = treeHeadOrigin(keyHash(logPublicKey));
  const byHash = new Map(witnessKeys.map((k) => [toHex(keyHash(k)), k]));
  let note = formatCheckpoint(cth, origin) + '\n' + formatNoteSignatureLine({ name: origin, keyId: logKeyId(origin, logPublicKey), signature: cth.signature });
  let omitted = 0;
  for (const c of cth.cosignatures) {
    const pub = byHash.get(toHex(c.keyHash));
    if (pub === undefined) {
      omitted++;
      continue;
    }
    const name = witnessKeyName(c.keyHash);
    note += formatCosignatureLine({ keyName: name, keyId: keyId(name, SIG_TYPE_COSIGNATURE, pub), timestamp: c.timestamp, signature: c.signature });
  }
  return { note, omitted };
}

/** A checkpoint read back into Sigsum's form. */
export interface ParsedCosignedCheckpoint {
  /** The origin line. */
  readonly origin: string;
  /** Size, root, the log's signature and the cosignatures of the witnesses recognised. */
  readonly treeHead: CosignedTreeHead;
  /** Signature lines that belong to no key given (ignored, as the note spec requires). */
  readonly unknownSignatures: number;
}

/**
 * Parse the log's checkpoint note for the log with `logPublicKey`. The log
 * signature line is the one named by the origin with the log's key ID; a
 * cosignature line is recognised when its key ID is that of one of
 * `witnessKeys` under the line's name. Signatures are not verified here
 * (pass the result to `verifyCosignedTreeHead` with a policy).
 * @throws ParseError `note.*`, `checkpoint.syntax`, `integer.*`, `base64.*`,
 *   `tiles.checkpoint-extension` (Sigsum checkpoints have none);
 *   VerificationError `tiles.checkpoint-origin` (another log's checkpoint),
 *   `tiles.checkpoint-log-signature` (no signature line by the log key).
 */
export function parseCosignedCheckpoint(note: string | Uint8Array, logPublicKey: Uint8Array, witnessKeys: readonly Uint8Array[] = []): ParsedCosignedCheckpoint {
  const signed = parseSignedNote(note);
  const cp = parseCheckpointText(signed.text);
  if (cp.extensions.length > 0) throw new ParseError('tiles.checkpoint-extension', `${cp.extensions.length} extension lines; a Sigsum checkpoint has none`, 'checkpoint');
  const origin = treeHeadOrigin(keyHash(logPublicKey));
  if (cp.origin !== origin) {
    throw new VerificationError('tiles.checkpoint-origin', `checkpoint origin ${JSON.stringify(cp.origin.slice(0, 100))} is not this log's ${origin}`, 'checkpoint');
  }
  const logId = logKeyId(origin, logPublicKey);
  const witnesses = witnessKeys.map((k) => ({ publicKey: k, keyHash: keyHash(k) }));
  let signature: Uint8Array | undefined;
  const cosignatures: Cosignature[] = [];
  let unknown = 0;
  for (const s of signed.signatures) {
    if (s.name === origin && s.signature.length === SIGNATURE_SIZE && bytesEqual(s.keyId, logId)) {
      if (signature !== undefined) throw new ParseError('checkpoint.signatures', 'duplicate log signature', 'checkpoint');
      signature = s.signature;
      continue;
    }
    if (s.signature.length === 8 + SIGNATURE_SIZE) {
      const w = witnesses.find((x) => bytesEqual(s.keyId, keyId(s.name, SIG_TYPE_COSIGNATURE, x.publicKey)));
      if (w !== undefined) {
        const timestamp = new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0, false);
        cosignatures.push({ keyHash: w.keyHash, timestamp, signature: s.signature.slice(8) });
        continue;
      }
    }
    unknown++;
  }
  if (signature === undefined) {
    throw new VerificationError('tiles.checkpoint-log-signature', `no signature line by the log key (key ID ${toHex(logId)})`, 'checkpoint');
  }
  return { origin, treeHead: { size: cp.size, rootHash: cp.rootHash, signature, cosignatures }, unknownSignatures: unknown };
}
