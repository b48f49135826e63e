/**
 * Discovery and execution of the shared vector suite (`test-vectors/suite/*.ts`).
 * The same code runs in the browser harness page; the Playwright test runs the
 * suite modules in Node with the same rules, so both sides produce comparable lists.
 */
import type { CaseResult } from '../../test-vectors/suite/types.js';

/** One suite function's outcome: its results, or the error it threw. */
export interface SuiteRun {
  /** `<module>:<export>` e.g. `merkle:runMerkleVectors`. */
  suite: string;
  /** The cases it returned (empty when it threw). */
  results: CaseResult[];
  /** The error message when the suite function itself threw. */
  error?: string;
}

/** A loaded suite module: its exports by name. */
export type SuiteModule = Record<string, unknown>;

/** Module name from a path such as `../../test-vectors/suite/merkle.ts`. */
export function suiteName(path: string): string {
  const base = path.split('/').pop() ?? path;
  return base.replace(/\.ts$/, '');
}

/**
 * Suite functions that take arguments, with the argument lists to run them
 * with (`<module>:<export>`). Other functions with parameters are helpers and
 * are not called; a module whose only suite needs arguments and is missing
 * here shows up as a module without results, which the browser test rejects.
 */
export const SUITE_ARGUMENTS: Readonly<Record<string, readonly (readonly unknown[])[]>> = {
  // Every Ed25519 verification path must give Go's verdicts, in the browser too.
  'cctv:checkCctv': [['webcrypto'], ['noble'], ['default']],
};

/**
 * Run every exported suite function of every module, in a stable order
 * (module name, then export name). Suite functions take no arguments (see
 * {@link SUITE_ARGUMENTS} for the exceptions); exports that are not functions
 * or that return something other than an array are ignored.
 */
export async function runSuites(modules: ReadonlyArray<readonly [string, SuiteModule]>): Promise<SuiteRun[]> {
  const runs: SuiteRun[] = [];
  const sorted = [...modules].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [name, mod] of sorted) {
    for (const key of Object.keys(mod).sort()) {
      const fn = mod[key];
      if (typeof fn !== 'function') continue;
      const id = `${name}:${key}`;
      const argLists = SUITE_ARGUMENTS[id] ?? (fn.length === 0 ? [[]] : []);
      for (const args of argLists) {
        const suite = args.length === 0 ? id : `${id}(${args.map(String).join(',')})`;
        try {
          const out: unknown = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
          if (!Array.isArray(out)) continue; // a helper, not a suite function
          runs.push({ suite, results: out as CaseResult[] });
        } catch (e) {
          runs.push({ suite, results: [], error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        }
      }
    }
  }
  return runs;
}

/** The comparable verdict list: one line per case, `suite file/name expected got pass`. */
export function verdictLines(runs: readonly SuiteRun[]): string[] {
  const lines: string[] = [];
  for (const run of runs) {
    if (run.error !== undefined) lines.push(`${run.suite} THREW ${run.error}`);
    for (const c of run.results) lines.push(`${run.suite} ${c.file}/${c.name} expected=${c.expected} got=${c.got} pass=${c.pass}`);
  }
  return lines;
}
