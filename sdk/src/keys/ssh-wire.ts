/**
 * SSH wire encoding (RFC 4251 §5) as key files and the ssh-agent protocol
 * use it: big-endian uint32 and length-prefixed strings. Pure; no I/O.
 */
import { concatBytes, utf8 } from '../encoding/bytes.js';
import type { ParseError } from '../errors.js';

/** A big-endian uint32. */
export function sshUint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

/** A length-prefixed string (text is encoded as UTF-8). */
export function sshString(b: Uint8Array | string): Uint8Array {
  const bytes = typeof b === 'string' ? utf8(b) : b;
  return concatBytes(sshUint32(bytes.length), bytes);
}

/** What a read needed and did not find, for the caller's error message. */
export interface ShortRead {
  /** What was being read, as the caller named it (may be undefined). */
  what: string | undefined;
  /** `uint32`/`bytes`: fewer bytes remain than the field needs; `string`: its declared length exceeds what remains. */
  kind: 'byte' | 'uint32' | 'bytes' | 'string';
  /** For `string`: the declared length. */
  length?: number;
  /** Bytes left at the point of the read. */
  remaining: number;
}

/**
 * The errors a reader raises, so that each format keeps its own codes and
 * messages (a key file's "truncated before …", an agent's "reply truncated").
 */
export interface SshWireErrors {
  short(r: ShortRead): ParseError;
  trailing(count: number): ParseError;
}

/** A cursor over SSH wire data; every read is bounds-checked and lengths are checked before anything is copied. */
export class SshWireReader {
  #off = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly errors: SshWireErrors,
  ) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.b.length - this.#off;
  }

  byte(what?: string): number {
    if (this.remaining < 1) throw this.errors.short({ what, kind: 'byte', remaining: this.remaining });
    return this.b[this.#off++]!;
  }

  uint32(what?: string): number {
    if (this.remaining < 4) throw this.errors.short({ what, kind: 'uint32', remaining: this.remaining });
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.#off, 4).getUint32(0, false);
    this.#off += 4;
    return v;
  }

  /** `n` bytes (a view, not a copy). */
  bytes(n: number, what?: string): Uint8Array {
    if (this.remaining < n) throw this.errors.short({ what, kind: 'bytes', remaining: this.remaining });
    const v = this.b.subarray(this.#off, this.#off + n);
    this.#off += n;
    return v;
  }

  /** A length-prefixed string (a view, not a copy). */
  string(what?: string): Uint8Array {
    const n = this.uint32(what === undefined ? undefined : `${what} length`);
    if (n > this.remaining) throw this.errors.short({ what, kind: 'string', length: n, remaining: this.remaining });
    return this.bytes(n, what);
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    const v = this.b.subarray(this.#off);
    this.#off = this.b.length;
    return v;
  }

  /** Require that everything was read. */
  end(): void {
    if (this.remaining !== 0) throw this.errors.trailing(this.remaining);
  }
}
