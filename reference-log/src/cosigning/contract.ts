/**
 * The one contract between the sequencer and witness cosigning: ask for
 * cosignatures on a signed tree head, get back what was collected, whether
 * the policy's quorum holds, and why each missing witness did not cosign.
 * `createCosigner` (cosigner.ts) implements it over C2SP add-checkpoint.
 */
import type { Cosignature, SignedTreeHead } from '@sigsum-kit/sdk';

/** Why one witness did not contribute a cosignature. */
export interface CosignFailure {
  /** The witness's policy name. */
  witness: string;
  /** Human-readable reason (includes the HTTP status and the witness's message when there was one). */
  reason: string;
}

/** Outcome of one cosigning round. */
export interface CosignOutcome {
  /** Verified cosignatures, at most one per witness, in policy order. */
  cosignatures: Cosignature[];
  /** Whether the policy's quorum holds with `cosignatures`. */
  quorumMet: boolean;
  /** One entry per witness (with a URL) that gave no valid cosignature. */
  failures: CosignFailure[];
}

/** Collects witness cosignatures for signed tree heads. */
export interface Cosigner {
  /** Ask the witnesses; resolves (never rejects) with what was collected. */
  cosign(sth: SignedTreeHead): Promise<CosignOutcome>;
  /** Abort requests in flight and release timers. */
  close?(): void | Promise<void>;
}

/** The cosigner of a log whose policy needs no witnesses (`quorum none`). */
export const noWitnesses: Cosigner = {
  cosign: () => Promise.resolve({ cosignatures: [], quorumMet: true, failures: [] }),
};

/** A failure as one log-friendly string, `<witness>: <reason>`. */
export function describeCosignFailure(f: CosignFailure): string {
  return `${f.witness}: ${f.reason}`;
}
