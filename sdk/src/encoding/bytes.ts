/** Byte helpers shared by every format. Pure; no Node `Buffer`. */

const textEncoder = /* @__PURE__ */ new TextEncoder();
const strictDecoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encode a string. */
export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

/** Strict UTF-8 decode; throws a `TypeError` on invalid UTF-8. */
export function fromUtf8(b: Uint8Array): string {
  return strictDecoder.decode(b);
}

/**
 * Decode bytes as Latin-1 (one char per byte). Used where a format treats
 * non-ASCII bytes as opaque (policy files) so that no byte sequence is
 * rejected or altered by decoding.
 */
export function latin1(b: Uint8Array): string {
  // ASCII, as every well-formed Sigsum text is: one native decode, on which
  // UTF-8 and Latin-1 agree. (A 'latin1' TextDecoder is windows-1252, which
  // differs at 0x80–0x9f.) Spreading the bytes into fromCharCode instead
  // allocated ~80 bytes per byte (issue 13: a proof file's parse, 170 KB).
  if (isAscii(b)) return strictDecoder.decode(b);
  let s = '';
  for (let i = 0; i < b.length; i += 0x2000) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 0x2000) as unknown as number[]);
  }
  return s;
}

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! > 0x7f) return false;
  return true;
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-shape equality of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Big-endian 8-byte encoding of an unsigned 64-bit integer. */
export function uint64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, false);
  return out;
}
