/** The outcome of one vector case, in Node or in the browser. */
export interface CaseResult {
  /** Vector file, e.g. `merkle`, `cctv-ed25519`. */
  file: string;
  /** Case name (unique within file + group). */
  name: string;
  /** The verdict the Go reference gives, e.g. `valid`, `invalid`, `200`. */
  expected: string;
  /** Our verdict. */
  got: string;
  /** Whether `got` matches `expected` (and any byte-exact outputs matched). */
  pass: boolean;
  /** Extra information for a failing case (our error message, diff). */
  detail?: string;
}

/** Helper for suites: build a result. */
export function result(file: string, name: string, expected: string, got: string, detail?: string, extraOk = true): CaseResult {
  return { file, name, expected, got, pass: expected === got && extraOk, ...(detail === undefined ? {} : { detail }) };
}
