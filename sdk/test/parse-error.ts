/** Test helper shared by the parser tests. */
import { expect } from 'vitest';
import { ParseError } from '@sigsum-kit/sdk';

/** Run `f` and return the ParseError it throws (fails the test if it throws anything else or nothing). */
export function parseErrorOf(f: () => unknown): ParseError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return e as ParseError;
  }
  throw new Error('expected a ParseError');
}
