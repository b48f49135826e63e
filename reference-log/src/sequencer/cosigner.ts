/**
 * What the sequencer needs from witness cosigning. The cosigning module
 * (`reference-log/src/cosigning`) is adapted to this interface in `startLog`.
 */
import type { Cosignature, SignedTreeHead } from '@sigsum-kit/sdk';

/** Outcome of asking the witnesses to cosign one tree head. */
export interface CosignResult {
  /** Valid cosignatures collected (at most one per witness). */
  cosignatures: Cosignature[];
  /** Whether the policy quorum holds with these cosignatures. */
  quorumMet: boolean;
  /** Human-readable reasons for each witness that did not cosign. */
  failures: string[];
}

/** Collects witness cosignatures for a signed tree head. */
export interface Cosigner {
  /** Ask the witnesses; resolves (never rejects) with what was collected. */
  cosign(head: SignedTreeHead): Promise<CosignResult>;
  /** Release connections and timers. */
  close?(): Promise<void> | void;
}

/** The cosigner of a log whose policy needs no witnesses (`quorum none`). */
export const noWitnesses: Cosigner = {
  cosign: () => Promise.resolve({ cosignatures: [], quorumMet: true, failures: [] }),
};

/**
 * Decides the largest tree size that may be published, given the size the
 * primary has integrated. The hot-standby work plugs the secondary's
 * replicated size in here; without replication every integrated leaf may be published.
 */
export type ReplicationGate = (integratedSize: number) => Promise<number> | number;

/** The gate of a log without replication. */
export const noReplication: ReplicationGate = (size) => size;
