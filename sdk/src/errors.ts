/**
 * The SDK's error model.
 *
 * Functions that parse, build or fetch **throw** a {@link SigsumError} (or a
 * subclass) with a stable machine-readable `code` and, where it applies,
 * `where` (a field, line or index), so that a message always says what was
 * wrong and where. Programming errors (a wrong argument type, a 31-byte
 * message) are plain `TypeError`s.
 *
 * Functions that answer "is this valid?" **return a verdict** instead of
 * throwing for bad input: `verifyProof` (`{ ok, step, code, message }`),
 * `verifyCosignedTreeHead` (`{ ok, failure, ... }`), `verifyLeafSignature`,
 * `verifyTreeHeadSignature`, `verifyCosignature` and `verifyToken` (booleans).
 * The Merkle proof checks `verifyInclusion`/`verifyConsistency` throw a
 * {@link VerificationError}, as their Go counterparts return an error.
 *
 * Subclasses narrow `code` to a closed union where the set of failures is
 * closed (e.g. `NetworkError`), so callers can `switch` on it.
 */

/** Base class of every error the SDK (and the reference log) throws on purpose. */
export class SigsumError<Code extends string = string> extends Error {
  /** Stable identifier of the kind of failure, e.g. `"hex"`, `"ascii.order"`, `"inclusion.root-mismatch"`. */
  readonly code: Code;
  /** Where the problem is: a field name, `"line 3"`, `"index 5"`, ... (also prefixed to `message`). */
  readonly where: string | undefined;
  /** The message without the `where: ` prefix. */
  readonly detail: string;

  constructor(code: Code, message: string, where?: string) {
    super(where === undefined ? message : `${where}: ${message}`);
    this.name = new.target.name;
    this.code = code;
    this.where = where;
    this.detail = message;
  }

  /**
   * The same error (same class, code and detail) located inside `outer`:
   * `where` becomes `outer: where`, so a caller adding context (a file name,
   * a request index) never repeats the inner location in the message.
   */
  within(outer: string): this {
    const where = this.where === undefined ? outer : `${outer}: ${this.where}`;
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this);
    Object.defineProperties(copy, {
      where: { value: where, enumerable: true },
      message: { value: `${where}: ${this.detail}`, writable: true, configurable: true },
      stack: { value: this.stack, writable: true, configurable: true },
    });
    return copy;
  }
}

/** Malformed input: bytes or text that do not follow the format. */
export class ParseError extends SigsumError {}

/** Well-formed input that fails a cryptographic or logical check. */
export class VerificationError extends SigsumError {}

/**
 * A number that is syntactically fine but outside the range the SDK supports.
 * (Not named `RangeError`, so that it does not shadow the built-in.)
 */
export class OutOfRangeError extends SigsumError {}
