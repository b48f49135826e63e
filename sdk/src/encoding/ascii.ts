/**
 * The Sigsum ASCII `key=value` codec used by every log API body and by proof
 * files, with sigsum-go `pkg/ascii` semantics:
 *
 * - lines end in `\n` only; a `\r` stays part of the line (and then fails as a
 *   bad hex digit or integer), and the last line must be terminated;
 * - the key is everything before the first `=`; keys come in the order the
 *   format defines; an empty line is never a valid `key=value` line;
 * - a value with several fields is split on single spaces (two spaces give an
 *   empty field, a tab is not a separator);
 * - hex is case-insensitive on input and lowercase on output; integers are
 *   `0|[1-9][0-9]*` up to 2^63 − 1.
 *
 * Errors are {@link ParseError}s with `where` = `line N (key)`.
 */
import { ParseError } from '../errors.js';
import { latin1 } from './bytes.js';
import { fromHex, toHex } from './hex.js';
import { MAX_UINT63, parseUint63 } from './integer.js';

/** Default bound on the size of an ASCII body: 1 MiB. */
export const DEFAULT_MAX_ASCII_BYTES = 1 << 20;

/** Options of the strict ASCII key=value reader behind every body parser. */
export interface AsciiReaderOptions {
  /** Largest accepted input in bytes (characters for string input). Default {@link DEFAULT_MAX_ASCII_BYTES}. */
  maxBytes?: number;
}

/** Bounds for a repeated key. */
export interface RepeatBounds {
  /** Fewest lines required (default 0). */
  min?: number;
  /** Most lines allowed (default unbounded). */
  max?: number;
}

/**
 * Sequential reader of a Sigsum ASCII body. Each getter consumes the next line,
 * which must carry the named key; {@link AsciiReader.end} asserts that nothing
 * follows.
 */
export class AsciiReader {
  readonly #lines: string[];
  /** True when the input's last line has no terminating `\n`. */
  readonly #unterminated: boolean;
  #pos = 0;

  /**
   * @param input the body, as text or raw bytes (bytes are read one char per
   *   byte so that no byte sequence is altered before validation).
   * @throws ParseError `ascii.size` when the input exceeds `maxBytes`.
   */
  constructor(input: string | Uint8Array, options: AsciiReaderOptions = {}) {
    const max = options.maxBytes ?? DEFAULT_MAX_ASCII_BYTES;
    if (input.length > max) throw new ParseError('ascii.size', `body of ${input.length} bytes exceeds the limit of ${max}`);
    const text = typeof input === 'string' ? input : latin1(input);
    const parts = text.split('\n');
    // split() leaves the text after the last '\n' as the final element: empty
    // when the body is properly terminated, otherwise an unterminated line.
    const tail = parts.pop()!;
    this.#unterminated = tail !== '';
    if (this.#unterminated) parts.push(tail);
    this.#lines = parts;
  }

  /** 1-based number of the next line to be read. */
  get lineNumber(): number {
    return this.#pos + 1;
  }

  /** True when every line has been consumed. */
  atEnd(): boolean {
    return this.#pos >= this.#lines.length;
  }

  /** True when the next line exists and is empty (a block separator in proof files). */
  atEmptyLine(): boolean {
    return !this.atEnd() && this.#lines[this.#pos] === '' && !this.#isUnterminated(this.#pos);
  }

  /** The key of the next line, or `undefined` at the end, on an empty line, or on a line without `=`. */
  peekKey(): string | undefined {
    if (this.atEnd()) return undefined;
    const line = this.#lines[this.#pos]!;
    const eq = line.indexOf('=');
    return eq < 0 || line === '' ? undefined : line.slice(0, eq);
  }

  #isUnterminated(i: number): boolean {
    return this.#unterminated && i === this.#lines.length - 1;
  }

  /** Consume the next raw line (for formats that embed non key=value lines). */
  line(what = 'line'): string {
    const n = this.lineNumber;
    if (this.atEnd()) throw new ParseError('ascii.eof', `unexpected end of input, expected ${what}`, `line ${n}`);
    if (this.#isUnterminated(this.#pos)) throw new ParseError('ascii.unterminated', 'last line is not terminated by a newline', `line ${n}`);
    return this.#lines[this.#pos++]!;
  }

  /** Consume an empty line. */
  emptyLine(): void {
    const n = this.lineNumber;
    const line = this.line('an empty line');
    if (line !== '') throw new ParseError('ascii.garbage', `expected an empty line, got ${quote(line)}`, `line ${n}`);
  }

  /**
   * Consume the next line, which must be `key=...`, and return the raw value.
   * @throws ParseError `ascii.eof`, `ascii.unterminated`, `ascii.empty-line`, `ascii.syntax` (no `=`), `ascii.order` (other key).
   */
  value(key: string): string {
    const n = this.lineNumber;
    if (this.atEnd()) throw new ParseError('ascii.eof', `unexpected end of input, expected ${key}`, `line ${n} (${key})`);
    if (this.#isUnterminated(this.#pos)) {
      throw new ParseError('ascii.unterminated', 'last line is not terminated by a newline', `line ${n} (${key})`);
    }
    const line = this.#lines[this.#pos]!;
    if (line === '') throw new ParseError('ascii.empty-line', `unexpected empty line, expected ${key}`, `line ${n} (${key})`);
    const eq = line.indexOf('=');
    if (eq < 0) throw new ParseError('ascii.syntax', `line has no '=': ${quote(line)}`, `line ${n} (${key})`);
    const got = line.slice(0, eq);
    if (got !== key) throw new ParseError('ascii.order', `expected key ${key}, got ${quote(got)}`, `line ${n} (${key})`);
    this.#pos++;
    return line.slice(eq + 1);
  }

  /** Consume `key=<hex>` of exactly `length` bytes. */
  hex(key: string, length: number): Uint8Array {
    const where = `line ${this.lineNumber} (${key})`;
    return fromHex(this.value(key), where, length);
  }

  /** Consume `key=<decimal>` (0 ≤ v ≤ 2^63 − 1). */
  uint63(key: string): bigint {
    const where = `line ${this.lineNumber} (${key})`;
    return parseUint63(this.value(key), where);
  }

  /**
   * Consume `key=<f1> <f2> ...` with exactly `n` space-separated fields.
   * @throws ParseError `ascii.fields` on a different number of fields.
   */
  fields(key: string, n: number): string[] {
    const where = `line ${this.lineNumber} (${key})`;
    const f = this.value(key).split(' ');
    if (f.length !== n) throw new ParseError('ascii.fields', `expected ${n} space-separated values, got ${f.length}`, where);
    return f;
  }

  /** `where` string for the line that the next getter will consume. */
  whereNext(key: string): string {
    return `line ${this.lineNumber} (${key})`;
  }

  /**
   * Consume every remaining `key=...` line (the last key of a format may
   * repeat), stopping at the end of input or — if `stopAtEmptyLine` — before
   * an empty line. Each raw value goes through `parse` with its `where`.
   * @throws ParseError `ascii.count` when fewer than `min` or more than `max` lines are present.
   */
  repeated<T>(key: string, parse: (value: string, where: string) => T, bounds: RepeatBounds & { stopAtEmptyLine?: boolean } = {}): T[] {
    const out: T[] = [];
    const min = bounds.min ?? 0;
    while (!this.atEnd()) {
      if (bounds.stopAtEmptyLine === true && this.atEmptyLine()) break;
      const where = this.whereNext(key);
      const v = this.value(key);
      if (bounds.max !== undefined && out.length >= bounds.max) {
        throw new ParseError('ascii.count', `more than ${bounds.max} ${key} lines`, where);
      }
      out.push(parse(v, where));
    }
    if (out.length < min) throw new ParseError('ascii.count', `expected at least ${min} ${key} line${min === 1 ? '' : 's'}, got ${out.length}`, `line ${this.lineNumber} (${key})`);
    return out;
  }

  /** Assert that the input is fully consumed. @throws ParseError `ascii.garbage`. */
  end(): void {
    if (this.atEnd()) return;
    const n = this.lineNumber;
    const line = this.#lines[this.#pos]!;
    throw new ParseError('ascii.garbage', `unexpected line after the end of the body: ${quote(line)}`, `line ${n}`);
  }
}

/** A value the writer can put in a field: bytes (lowercase hex), an integer (decimal) or a plain token. */
export type AsciiValue = Uint8Array | bigint | string;

/**
 * Builder of Sigsum ASCII bodies, producing exactly what sigsum-go writes:
 * `key=v1 v2 ...\n`, bytes as lowercase hex, integers in decimal.
 */
export class AsciiWriter {
  #out = '';

  /**
   * Append one line.
   * @throws TypeError for an integer outside 0..2^63−1 or a string field containing a space, `=` in a key, or a newline.
   */
  line(key: string, ...values: AsciiValue[]): this {
    if (key === '' || /[=\n]/.test(key)) throw new TypeError(`invalid ASCII key ${JSON.stringify(key)}`);
    if (values.length === 0) throw new TypeError(`ASCII line ${key} needs at least one value`);
    this.#out += key + '=' + values.map(formatValue).join(' ') + '\n';
    return this;
  }

  /** Append an empty line (block separator in proof files). */
  emptyLine(): this {
    this.#out += '\n';
    return this;
  }

  /** The body written so far. */
  toString(): string {
    return this.#out;
  }
}

function formatValue(v: AsciiValue): string {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'bigint') {
    if (v < 0n || v > MAX_UINT63) throw new TypeError(`integer ${v} is outside 0..2^63-1`);
    return v.toString();
  }
  if (/[ \n]/.test(v)) throw new TypeError(`ASCII field ${JSON.stringify(v)} contains a space or newline`);
  return v;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s);
}
