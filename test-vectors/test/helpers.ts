import { expect } from 'vitest';
import type { CaseResult } from '../suite/types.js';

/** Assert that every case passed; the failure message lists the failing ones. */
export function expectAllPass(results: CaseResult[], minCount: number): void {
  expect(results.length).toBeGreaterThanOrEqual(minCount);
  const failed = results.filter((r) => !r.pass);
  expect(failed.map((r) => `${r.file}/${r.name}: expected ${r.expected}, got ${r.got}${r.detail ? ` (${r.detail})` : ''}`)).toEqual([]);
}
