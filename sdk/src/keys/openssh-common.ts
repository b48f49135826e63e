/**
 * Helpers shared by the OpenSSH public and private key parsers (internal:
 * not part of the SDK's API).
 */
import { ParseError } from '../errors.js';
import { bytesEqual } from '../encoding/bytes.js';
import { decodeBase64Go } from '../encoding/base64.js';
import type { SshWireErrors } from './ssh-wire.js';

/** Whether `b` begins with `prefix`. */
export function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  return b.length >= prefix.length && bytesEqual(b.subarray(0, prefix.length), prefix);
}

/** Key-file reading errors: `keys.truncated`, naming the field. */
export function keyFileErrors(where: string): SshWireErrors {
  return {
    short: (r) =>
      new ParseError('keys.truncated', r.kind === 'string' ? `${r.what} length ${r.length} exceeds the ${r.remaining} remaining bytes` : r.kind === 'uint32' ? `truncated before ${r.what}` : `truncated ${r.what}`, where),
    trailing: (n) => new ParseError('keys.trailing', `${n} trailing bytes`, where),
  };
}

export function checkLength(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new TypeError(`${what} must be ${n} bytes`);
}

/** Base64 as sigsum-go reads key files (Go's StdEncoding), failing with Go's message. */
export function goBase64Decode(s: string, where: string): Uint8Array {
  const r = decodeBase64Go(s);
  if ('illegalAt' in r) throw new ParseError('keys.base64', `illegal base64 data at input byte ${r.illegalAt}`, where);
  return r.bytes;
}
