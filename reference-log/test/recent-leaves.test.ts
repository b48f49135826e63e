import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecentLeaves } from '../src/sequencer/recent-leaves.js';

const hash = (i: number): Uint8Array => new Uint8Array(createHash('sha256').update(`leaf ${i}`).digest());
/** A hash sharing its first 4 bytes with `h` (so its 30-bit prefix too) but not the rest. */
const twin = (h: Uint8Array, tag: number): Uint8Array => {
  const t = hash(1_000_000 + tag);
  t.set(h.subarray(0, 4));
  return t;
};

describe('RecentLeaves', () => {
  it('finds every leaf of the window and forgets the ones pushed out of it', () => {
    const r = new RecentLeaves(100);
    for (let i = 0; i < 250; i++) r.add(hash(i), i);
    expect(r.size).toBe(100);
    for (let i = 150; i < 250; i++) expect(r.indexOf(hash(i))).toBe(i);
    for (let i = 0; i < 150; i++) expect(r.indexOf(hash(i))).toBeUndefined();
    expect(r.indexOf(hash(250))).toBeUndefined();
  });

  it('never answers a different hash that shares the prefix; the newer of two such leaves is found', () => {
    const r = new RecentLeaves(8);
    const a = hash(1);
    const b = twin(a, 1);
    r.add(a, 0);
    expect(r.indexOf(b)).toBeUndefined();
    r.add(b, 1);
    expect(r.indexOf(b)).toBe(1);
    // a lost the shared entry: not known here (storage answers), never a wrong index.
    expect(r.indexOf(a)).toBeUndefined();
    // Pushing a out of the window must not drop b's entry.
    for (let i = 2; i < 9; i++) r.add(hash(100 + i), i);
    expect(r.indexOf(b)).toBe(1);
    r.add(hash(200), 9);
    expect(r.indexOf(b)).toBeUndefined();
    expect(r.size).toBe(8);
  });

  it('reads the hash where it lies (a view into a larger buffer) and refuses a wrong length', () => {
    const r = new RecentLeaves(4);
    const big = new Uint8Array(100);
    big.set(hash(7), 40);
    r.add(big.subarray(40, 72), 3);
    expect(r.indexOf(hash(7))).toBe(3);
    expect(r.indexOf(hash(7).subarray(0, 31))).toBeUndefined();
    expect(() => r.add(new Uint8Array(31), 4)).toThrow(/32 bytes/);
    expect(() => new RecentLeaves(0)).toThrow(RangeError);
  });
});
