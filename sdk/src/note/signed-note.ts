/**
 * C2SP signed-note: a UTF-8 text, a blank line, then one or more signature
 * lines `— <key name> <base64(key ID ‖ signature)>` (U+2014 EM DASH, space).
 */
import { ParseError } from '../errors.js';
import { concatBytes } from '../encoding/bytes.js';
import { fromBase64Go, toBase64 } from '../encoding/base64.js';
import { KEY_ID_SIZE } from './keyid.js';

/** The em dash and space that start every signature line. */
export const SIGNATURE_LINE_PREFIX = '\u2014 ';
/** Default bound on a note's size (bytes for byte input, characters for string input). */
export const DEFAULT_MAX_NOTE_BYTES = 1 << 16;
/** Default bound on the number of signature lines of a note. */
export const DEFAULT_MAX_NOTE_SIGNATURES = 100;

/** One signature line of a note. */
export interface NoteSignature {
  /** Key name. */
  readonly name: string;
  /** 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** The signature bytes after the key ID (64 for Ed25519, 8 + 64 for cosignature/v1). */
  readonly signature: Uint8Array;
}

/** A signed note: text (ending in `\n`) and its signatures. */
export interface SignedNote {
  /** The note text including its final newline. */
  readonly text: string;
  /** Signature lines in order. */
  readonly signatures: readonly NoteSignature[];
}

/** Options of {@link parseSignedNote}. */
export interface ParseSignedNoteOptions {
  /** Largest accepted note. Default {@link DEFAULT_MAX_NOTE_BYTES}. */
  maxBytes?: number;
  /** Most signature lines accepted. Default {@link DEFAULT_MAX_NOTE_SIGNATURES}. */
  maxSignatures?: number;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Decode note bytes as strict UTF-8. */
function noteText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  try {
    return utf8Strict.decode(input);
  } catch {
    throw new ParseError('note.utf8', 'note is not valid UTF-8', 'note');
  }
}

/**
 * Split one signature line (without its newline) as sigsum-go does: exactly
 * three space-separated fields, the first an em dash, the last standard base64.
 * The blob (key ID ‖ signature) is returned whole; callers decide which sizes
 * they want.
 * @throws ParseError `note.signature-line` or `base64.*`.
 */
export function splitNoteSignatureLine(line: string, where = 'signature line'): { name: string; blob: Uint8Array } {
  const f = line.split(' ');
  if (f.length !== 3 || f[0] !== '\u2014') throw new ParseError('note.signature-line', `invalid signature line ${JSON.stringify(line.slice(0, 100))}`, where);
  return { name: f[1]!, blob: fromBase64Go(f[2]!, where) };
}

/**
 * Parse one signature line into name, key ID and signature.
 * @throws ParseError `note.signature-line` (also for a blob not longer than a key ID) or `base64.*`.
 */
export function parseNoteSignatureLine(line: string, where = 'signature line'): NoteSignature {
  const { name, blob } = splitNoteSignatureLine(line, where);
  if (blob.length <= KEY_ID_SIZE) throw new ParseError('note.signature-line', `signature blob of ${blob.length} bytes is too short`, where);
  return { name, keyId: blob.slice(0, KEY_ID_SIZE), signature: blob.slice(KEY_ID_SIZE) };
}

/**
 * Format a signature line `— <name> base64(keyID ‖ signature)\n`.
 * @throws TypeError for a key ID that is not 4 bytes, or a name that could not be
 *   read back (empty, or containing a space or newline). C2SP also forbids `+`
 *   in key names, but sigsum-go accepts it, so it is written as given.
 */
export function formatNoteSignatureLine(sig: NoteSignature): string {
  if (sig.keyId.length !== KEY_ID_SIZE) throw new TypeError(`key id must be ${KEY_ID_SIZE} bytes`);
  if (sig.name === '' || /[ \n]/.test(sig.name)) throw new TypeError(`invalid note key name ${JSON.stringify(sig.name)}`);
  return `${SIGNATURE_LINE_PREFIX}${sig.name} ${toBase64(concatBytes(sig.keyId, sig.signature))}\n`;
}

/**
 * Parse a C2SP signed note. The text is everything up to the last blank line;
 * it must be non-empty, end in a newline and contain no control characters
 * other than newline; at least one signature line must follow.
 * @throws ParseError `note.size`, `note.utf8`, `note.syntax`, `note.text`, `note.signature-line`, `note.signatures`, `base64.*`.
 */
export function parseSignedNote(input: string | Uint8Array, options: ParseSignedNoteOptions = {}): SignedNote {
  const max = options.maxBytes ?? DEFAULT_MAX_NOTE_BYTES;
  if (input.length > max) throw new ParseError('note.size', `note of ${input.length} bytes exceeds the limit of ${max}`, 'note');
  const s = noteText(input);
  if (!s.endsWith('\n')) throw new ParseError('note.syntax', 'note does not end with a newline', 'note');
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw new ParseError('note.syntax', 'no blank line between text and signatures', 'note');
  const text = s.slice(0, split + 1);
  const bad = /[\u0000-\u0009\u000b-\u001f\u007f]/.exec(text);
  if (bad !== null) throw new ParseError('note.text', `control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} in note text`, 'note text');
  const lines = s.slice(split + 2, -1).split('\n');
  const textLines = text.split('\n').length - 1;
  if (lines.length === 1 && lines[0] === '') throw new ParseError('note.signatures', 'note has no signature lines', 'note');
  const maxSigs = options.maxSignatures ?? DEFAULT_MAX_NOTE_SIGNATURES;
  if (lines.length > maxSigs) throw new ParseError('note.signatures', `more than ${maxSigs} signature lines`, 'note');
  const signatures = lines.map((line, i) => {
    const where = `line ${textLines + 2 + i}`;
    if (!line.startsWith(SIGNATURE_LINE_PREFIX)) throw new ParseError('note.signature-line', 'signature line does not start with an em dash and a space', where);
    return parseNoteSignatureLine(line, where);
  });
  return { text, signatures };
}

/** Serialize a signed note: text, blank line, signature lines. */
export function serializeSignedNote(note: SignedNote): string {
  if (!note.text.endsWith('\n')) throw new TypeError('note text must end with a newline');
  if (note.signatures.length === 0) throw new TypeError('a signed note needs at least one signature');
  return note.text + '\n' + note.signatures.map(formatNoteSignatureLine).join('');
}
