/**
 * C2SP tlog-checkpoint bodies and the Sigsum log's checkpoint (origin
 * `sigsum.org/v1/tree/<key hash>`, one Ed25519 note signature by the log with
 * the origin as key name), parsed exactly as sigsum-go's `checkpoint.Checkpoint`.
 */
import { ParseError, VerificationError } from '../errors.js';
import { AsciiReader } from '../encoding/ascii.js';
import { bytesEqual, utf8 } from '../encoding/bytes.js';
import { fromBase64Go } from '../encoding/base64.js';
import { parseUint63 } from '../encoding/integer.js';
import { toHex } from '../encoding/hex.js';
import { HASH_SIZE } from '../crypto/sha256.js';
import { SIGNATURE_SIZE, verify, type Signer } from '../crypto/ed25519.js';
import { keyHash } from '../crypto/keyhash.js';
import { formatCheckpoint, treeHeadOrigin, type SignedTreeHead, type TreeHead } from '../types/tree-head.js';
import { KEY_ID_SIZE, SIG_TYPE_ED25519, keyId } from './keyid.js';
import { formatNoteSignatureLine, splitNoteSignatureLine } from './signed-note.js';

/** Most signature lines sigsum-go reads in a checkpoint. */
export const MAX_CHECKPOINT_SIGNATURES = 16;

/** A C2SP checkpoint body. */
export interface Checkpoint extends TreeHead {
  /** Origin line (identifies the log). */
  readonly origin: string;
  /** Extension lines after the root hash (none for Sigsum). */
  readonly extensions: readonly string[];
}

/**
 * Parse a C2SP checkpoint text (the note text, ending in `\n`): origin,
 * decimal size, base64 root hash (32 bytes), then optional non-empty extension lines.
 * @throws ParseError `checkpoint.syntax`, `integer.*`, `base64.*`.
 */
export function parseCheckpointText(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new ParseError('checkpoint.syntax', 'checkpoint text must end with a newline', 'checkpoint');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new ParseError('checkpoint.syntax', `checkpoint needs origin, size and root hash lines, got ${lines.length} lines`, 'checkpoint');
  const origin = lines[0]!;
  if (origin === '') throw new ParseError('checkpoint.syntax', 'empty origin', 'line 1 (origin)');
  const size = parseUint63(lines[1]!, 'line 2 (size)');
  const rootHash = fromBase64Go(lines[2]!, 'line 3 (root hash)', HASH_SIZE);
  const extensions = lines.slice(3);
  extensions.forEach((e, i) => {
    if (e === '') throw new ParseError('checkpoint.syntax', 'empty extension line', `line ${4 + i}`);
  });
  return { origin, size, rootHash, extensions };
}

/** Format a C2SP checkpoint text. */
export function formatCheckpointText(cp: Checkpoint): string {
  return formatCheckpoint(cp, cp.origin) + cp.extensions.map((e) => e + '\n').join('');
}

/** A Sigsum log checkpoint: the signed tree head with its origin and the key ID of its signature line. */
export interface SigsumCheckpoint extends SignedTreeHead {
  /** Origin; for a Sigsum log `sigsum.org/v1/tree/<hex key hash>`. */
  readonly origin: string;
  /** Key ID from the log's signature line. */
  readonly keyId: Uint8Array;
}

/**
 * Read a Sigsum checkpoint note from `r` as sigsum-go does: origin, size, root
 * hash, an empty line, then up to 16 signature lines to the end of input. Lines
 * whose blob is not 4 + 64 bytes or whose name is not `keyName` (default: the
 * origin) are ignored; exactly one log signature must remain. Build `r` from
 * text (or bytes decoded with {@link noteString}), not from raw bytes, since
 * signature lines contain the non-ASCII em dash.
 * @throws ParseError `ascii.*`, `integer.*`, `base64.*`, `checkpoint.syntax`, `checkpoint.signatures`, `note.signature-line`.
 */
export function readSigsumCheckpoint(r: AsciiReader, keyName?: string): SigsumCheckpoint {
  const origin = r.line('origin');
  const size = parseUint63(r.line('size'), `line ${r.lineNumber - 1} (size)`);
  const rootLine = r.lineNumber;
  const rootHash = fromBase64Go(r.line('root hash'), `line ${rootLine} (root hash)`, HASH_SIZE);
  const blank = r.lineNumber;
  if (r.atEnd() || r.line('an empty line') !== '') throw new ParseError('checkpoint.syntax', 'root hash not followed by an empty line', `line ${blank}`);
  const name = keyName ?? origin;
  let count = 0;
  let found: { keyId: Uint8Array; signature: Uint8Array } | undefined;
  while (!r.atEnd()) {
    const where = `line ${r.lineNumber}`;
    const line = r.line('signature line');
    count++;
    if (count > MAX_CHECKPOINT_SIGNATURES) throw new ParseError('checkpoint.signatures', `more than ${MAX_CHECKPOINT_SIGNATURES} signature lines`, where);
    const sig = splitNoteSignatureLine(line, where);
    // Signatures of other types (other sizes) or by other keys are not ours to check.
    if (sig.blob.length !== KEY_ID_SIZE + SIGNATURE_SIZE || sig.name !== name) continue;
    if (found !== undefined) throw new ParseError('checkpoint.signatures', 'duplicate log signature', where);
    found = { keyId: sig.blob.slice(0, KEY_ID_SIZE), signature: sig.blob.slice(KEY_ID_SIZE) };
  }
  if (found === undefined) throw new ParseError('checkpoint.signatures', `${count} signature lines, but no log signature`, 'checkpoint');
  return { origin, size, rootHash, keyId: found.keyId, signature: found.signature };
}

/** Parse a complete Sigsum checkpoint note. */
export function parseSigsumCheckpoint(note: string | Uint8Array, options: { keyName?: string; maxBytes?: number } = {}): SigsumCheckpoint {
  const r = noteReader(note, options.maxBytes ?? 1 << 16);
  return readSigsumCheckpoint(r, options.keyName);
}

/** Serialize a Sigsum checkpoint note: checkpoint text, blank line, the log's signature line. */
export function serializeSigsumCheckpoint(cp: SigsumCheckpoint): string {
  if (cp.signature.length !== SIGNATURE_SIZE || cp.keyId.length !== KEY_ID_SIZE) throw new TypeError('checkpoint signature must be 64 bytes and key id 4 bytes');
  return formatCheckpoint(cp, cp.origin) + '\n' + formatNoteSignatureLine({ name: cp.origin, keyId: cp.keyId, signature: cp.signature });
}

/** Key ID of a log's checkpoint signature: keyId(origin, 0x01, logPublicKey). */
export function logKeyId(origin: string, logPublicKey: Uint8Array): Uint8Array {
  return keyId(origin, SIG_TYPE_ED25519, logPublicKey);
}

/** Sign a tree head as a Sigsum checkpoint (origin derived from the signer's key). */
export async function signSigsumCheckpoint(signer: Signer, th: TreeHead): Promise<SigsumCheckpoint> {
  const origin = treeHeadOrigin(keyHash(signer.publicKey));
  const signature = await signer.sign(utf8(formatCheckpoint(th, origin)));
  return { origin, size: th.size, rootHash: th.rootHash, keyId: logKeyId(origin, signer.publicKey), signature };
}

/**
 * Verify a Sigsum checkpoint with the log key, as sigsum-go's `Checkpoint.Verify`:
 * the key ID must be the log's for this origin, and the signature must verify
 * over the checkpoint text with the origin derived from the key.
 * @throws VerificationError `checkpoint.key-id` or `checkpoint.signature` (a witness answers 403).
 */
export async function verifySigsumCheckpoint(cp: SigsumCheckpoint, logPublicKey: Uint8Array): Promise<void> {
  const want = logKeyId(cp.origin, logPublicKey);
  if (!bytesEqual(want, cp.keyId)) {
    throw new VerificationError('checkpoint.key-id', `unexpected checkpoint key id ${toHex(cp.keyId)}, expected ${toHex(want)}`, 'checkpoint');
  }
  const text = formatCheckpoint(cp, treeHeadOrigin(keyHash(logPublicKey)));
  if (!(await verify(logPublicKey, utf8(text), cp.signature))) {
    throw new VerificationError('checkpoint.signature', 'invalid checkpoint signature', 'checkpoint');
  }
}

const utf8Lossy = new TextDecoder('utf-8');

/**
 * Notes travel as bytes; sigsum-go compares names byte-wise and never decodes
 * UTF-8. Invalid sequences become U+FFFD here, which can only turn a foreign
 * name into another foreign name, so verdicts do not change.
 */
export function noteString(input: string | Uint8Array): string {
  return typeof input === 'string' ? input : utf8Lossy.decode(input);
}

/**
 * A line reader over a note-like body, checking the size before decoding.
 * @throws ParseError `ascii.size` when the body exceeds `maxBytes`.
 */
export function noteReader(input: string | Uint8Array, maxBytes: number): AsciiReader {
  if (input.length > maxBytes) throw new ParseError('ascii.size', `body of ${input.length} bytes exceeds the limit of ${maxBytes}`);
  return new AsciiReader(noteString(input), { maxBytes });
}
