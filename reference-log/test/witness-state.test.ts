import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { sha256, utf8 } from '@sigsum-kit/sdk';
import { WitnessStateStore } from '../src/witness/state.js';
import { emptyState } from '../src/witness/core.js';
import { tempDir } from './witness-fixtures.js';

const root = (s: string) => sha256(utf8(s));
const O = 'sigsum.org/v1/tree/00';

describe('WitnessStateStore', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  function open(): [WitnessStateStore, WitnessStateStore] {
    const t = tempDir('sigsum-witness-state-');
    const path = join(t.dir, 'w.db');
    const a = new WitnessStateStore(path);
    const b = new WitnessStateStore(path);
    cleanups.push(() => {
      a.close();
      b.close();
      t.cleanup();
    });
    return [a, b];
  }

  it('starts every origin at the empty state', () => {
    const [a] = open();
    expect(a.get(O)).toEqual(emptyState());
    expect(emptyState().rootHash).toEqual(sha256(new Uint8Array(0)));
  });

  it('compare-and-set succeeds once from a given state, across connections', () => {
    const [a, b] = open();
    const s5 = { size: 5n, rootHash: root('5') };
    const s6 = { size: 6n, rootHash: root('6') };
    expect(a.compareAndSet(O, emptyState(), s5, 1n)).toEqual({ ok: true });
    // The second writer checked against the same empty state: it loses and learns the current state.
    expect(b.compareAndSet(O, emptyState(), s6, 1n)).toEqual({ ok: false, current: s5 });
    expect(b.get(O)).toEqual(s5);
    expect(b.compareAndSet(O, s5, s6, 2n)).toEqual({ ok: true });
    expect(a.get(O)).toEqual(s6);
  });

  it('refuses a swap when the size matches but the root does not', () => {
    const [a] = open();
    const s5 = { size: 5n, rootHash: root('5') };
    a.put(O, s5);
    expect(a.compareAndSet(O, { size: 5n, rootHash: root('other') }, { size: 9n, rootHash: root('9') }, 1n)).toEqual({ ok: false, current: s5 });
    expect(a.get(O)).toEqual(s5);
  });

  it('keeps sizes up to 2^63-1 exactly and origins apart', () => {
    const [a, b] = open();
    const big = { size: (1n << 63n) - 1n, rootHash: root('big') };
    a.put(O, big);
    expect(b.get(O)).toEqual(big);
    expect(b.get(`${O}1`)).toEqual(emptyState());
  });
});
