/**
 * Where submitted leaves stand ({@link Sequencer.leafState}), asked for one
 * leaf at a time and answered for all the leaves asked in the same turn of
 * the event loop with one storage read transaction: under load add-leaf
 * requests arrive many per turn, and a re-send's look-up is most of its work.
 */
import type { LeafState } from '../sequencer/sequencer.js';

/** Look up one leaf's state; resolves after this turn's I/O. */
export type LeafStateLookup = (leafHash: Uint8Array) => Promise<LeafState>;

/** Batch `lookup` (states of many leaves, in order) per turn of the event loop. */
export function batchLeafStates(lookup: (leafHashes: readonly Uint8Array[]) => LeafState[]): LeafStateLookup {
  let hashes: Uint8Array[] = [];
  let waiters: { resolve: (s: LeafState) => void; reject: (e: unknown) => void }[] = [];
  const flush = (): void => {
    const batch = hashes;
    const wait = waiters;
    hashes = [];
    waiters = [];
    let states: LeafState[];
    try {
      states = lookup(batch);
    } catch (err) {
      for (const w of wait) w.reject(err);
      return;
    }
    for (let i = 0; i < wait.length; i++) wait[i]!.resolve(states[i]!);
  };
  return (leafHash) =>
    new Promise<LeafState>((resolve, reject) => {
      if (hashes.length === 0) setImmediate(flush);
      hashes.push(leafHash);
      waiters.push({ resolve, reject });
    });
}
