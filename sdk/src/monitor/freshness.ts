/**
 * How old a tree head is, judged from its cosignatures (pure; no I/O).
 *
 * A witness timestamps each cosignature with its own clock. One witness whose
 * clock runs far ahead (or a hostile one) must not make a head look fresh
 * forever, so cosignatures more than the allowed skew in the future are set
 * aside and reported, and the age is judged on the times that remain: the
 * newest time at which the policy's quorum had cosigned, so that one fast
 * witness cannot vouch for freshness on behalf of a quorum.
 */
import type { Policy, PolicyWitness } from '../policy/policy.js';
import type { CosignatureCheck } from '../policy/verify.js';

/** Default allowed clock skew of a cosignature timestamp into the future: 60 s. */
export const DEFAULT_MAX_COSIGNATURE_SKEW_MS = 60_000;

/** A verified cosignature whose timestamp is too far in the future. */
export interface FutureCosignature {
  /** The policy's witness. */
  witness: PolicyWitness;
  /** Its timestamp, ms since the epoch. */
  timestampMs: number;
}

/** Result of {@link cosignedAt}. */
export interface CosignedAt {
  /**
   * The time the head counts as fresh from (ms since the epoch), or undefined
   * when no verified cosignature remains after setting aside future ones.
   */
  timeMs: number | undefined;
  /** The newest of the remaining cosignature times (ms), which `timeMs` may be older than under a k-of-n quorum. */
  newestMs: number | undefined;
  /** Cosignatures set aside for being dated more than the skew ahead of `nowMs`. */
  future: FutureCosignature[];
}

/**
 * The freshness time of a head from its checked cosignatures.
 * Precondition: `checks` come from `verifyCosignedTreeHead` under `policy`;
 * only `verified` ones count.
 */
export function cosignedAt(policy: Policy, checks: readonly CosignatureCheck[], nowMs: number, maxSkewMs: number): CosignedAt {
  const future: FutureCosignature[] = [];
  const times: { keyHashHex: string; ms: number }[] = [];
  for (const c of checks) {
    if (c.status !== 'verified' || c.witness === undefined) continue;
    const ms = Number(c.cosignature.timestamp) * 1000;
    if (ms > nowMs + maxSkewMs) future.push({ witness: c.witness, timestampMs: ms });
    else times.push({ keyHashHex: c.keyHashHex, ms });
  }
  if (times.length === 0) return { timeMs: undefined, newestMs: undefined, future };
  times.sort((a, b) => b.ms - a.ms);
  const newestMs = times[0]!.ms;
  // `quorum none` holds with no witness: any cosignature is extra evidence, take the newest.
  if (!policy.quorumHolds([])) {
    const witnesses: string[] = [];
    for (const t of times) {
      witnesses.push(t.keyHashHex);
      if (policy.quorumHolds(witnesses)) return { timeMs: t.ms, newestMs, future };
    }
  }
    // No quorum among the remaining cosignatures (already reported as a missed quorum): the newest still says something.
  return { timeMs: newestMs, newestMs, future };
}
