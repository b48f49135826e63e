/**
 * Verification of a cosigned tree head under a policy (sigsum-go
 * `Policy.VerifyCosignedTreeHead`): the log must be known and its signature
 * valid; cosignatures of witnesses the policy does not name are ignored; an
 * invalid cosignature only matters if the quorum then fails.
 */
import { toHex } from '../encoding/hex.js';
import { utf8 } from '../encoding/bytes.js';
import { MAX_UINT63, MAX_UINT64 } from '../encoding/integer.js';
import { verify } from '../crypto/ed25519.js';
import { cosignedText, formatCheckpoint, treeHeadOrigin, type Cosignature, type CosignedTreeHead } from '../types/tree-head.js';
import type { Policy, PolicyLog, PolicyWitness } from './policy.js';

/** What happened to one cosignature line. */
export type CosignatureStatus = 'verified' | 'invalid' | 'unknown-witness';

/** One cosignature and its verdict. */
export interface CosignatureCheck {
  /** The cosignature as it appeared. */
  readonly cosignature: Cosignature;
  /** Lowercase hex of the witness key hash. */
  readonly keyHashHex: string;
  /** The policy's witness with that key hash, if any. */
  readonly witness: PolicyWitness | undefined;
  /** `verified`, `invalid` (bad signature), or `unknown-witness` (ignored). */
  readonly status: CosignatureStatus;
}

/** Why a cosigned tree head was not accepted. */
export type CosignedTreeHeadFailure = 'unknown-log' | 'log-signature' | 'duplicate-cosignature' | 'quorum';

/** Outcome of {@link verifyCosignedTreeHead}. */
export interface CosignedTreeHeadResult {
  /** True when the log is known, its signature is valid and the quorum holds. */
  readonly ok: boolean;
  /** The failure, when `ok` is false. */
  readonly failure: CosignedTreeHeadFailure | undefined;
  /** Human-readable reason, when `ok` is false. */
  readonly message: string | undefined;
  /** The policy's log for the key hash (undefined if unknown). */
  readonly log: PolicyLog | undefined;
  /** Whether the log signature verified (false if the log is unknown). */
  readonly logSignatureValid: boolean;
  /** Every cosignature with its verdict, in input order (empty if the log check failed). */
  readonly cosignatures: readonly CosignatureCheck[];
  /** Key hashes (hex) of the witnesses whose cosignature verified. */
  readonly verifiedWitnesses: readonly string[];
  /** Whether the policy's quorum holds with the verified witnesses. */
  readonly quorum: boolean;
}

function failed(failure: CosignedTreeHeadFailure, message: string, rest: Partial<CosignedTreeHeadResult>): CosignedTreeHeadResult {
  return { ok: false, failure, message, log: undefined, logSignatureValid: false, cosignatures: [], verifiedWitnesses: [], quorum: false, ...rest };
}

/**
 * Verify a cosigned tree head of the log with key hash `logKeyHash` under
 * `policy`. The log signature and all cosignatures of known witnesses are
 * verified concurrently. Never throws for bad input: the result says what
 * failed. Duplicate cosignature key hashes are rejected (sigsum-go refuses
 * such tree heads when parsing).
 */
export async function verifyCosignedTreeHead(policy: Policy, logKeyHash: Uint8Array | string, cth: CosignedTreeHead): Promise<CosignedTreeHeadResult> {
  await policy.hashKeys();
  const log = policy.findLog(logKeyHash);
  if (log === undefined) {
    return failed('unknown-log', `log ${typeof logKeyHash === 'string' ? logKeyHash.toLowerCase() : toHex(logKeyHash)} is not in the policy`, {});
  }
  const seen = new Set<string>();
  const entries: { cosignature: Cosignature; keyHashHex: string; witness: PolicyWitness | undefined }[] = [];
  for (const c of cth.cosignatures) {
    const keyHashHex = toHex(c.keyHash);
    if (seen.has(keyHashHex)) return failed('duplicate-cosignature', `duplicate cosignature for key hash ${keyHashHex}`, { log });
    seen.add(keyHashHex);
    entries.push({ cosignature: c, keyHashHex, witness: policy.findWitness(keyHashHex) });
  }
  // Everything is independent: verify the log signature and the cosignatures
  // together. The verdicts are those of verifyTreeHeadSignature and
  // verifyCosignature; the origin is formatted once, from the policy's key hash.
  const sizeOk = cth.size >= 0n && cth.size <= MAX_UINT63;
  const origin = treeHeadOrigin(log.keyHash);
  const [logOk, ...cosigOk] = await Promise.all([
    sizeOk ? verify(log.publicKey, utf8(formatCheckpoint(cth, origin)), cth.signature) : false,
    ...entries.map(({ witness, cosignature: c }) =>
      witness === undefined || !sizeOk || c.timestamp < 0n || c.timestamp > MAX_UINT64 ? false : verify(witness.publicKey, utf8(cosignedText(cth, origin, c.timestamp)), c.signature),
    ),
  ]);
  if (!logOk) return failed('log-signature', 'invalid log signature on the tree head', { log });
  const cosignatures: CosignatureCheck[] = entries.map((e, i) => ({
    ...e,
    status: e.witness === undefined ? 'unknown-witness' : cosigOk[i] ? 'verified' : 'invalid',
  }));
  const verifiedWitnesses = cosignatures.filter((c) => c.status === 'verified').map((c) => c.keyHashHex);
  const quorum = policy.quorumHolds(verifiedWitnesses);
  const base = { log, logSignatureValid: true, cosignatures, verifiedWitnesses, quorum };
  if (!quorum) {
    const invalid = cosignatures.filter((c) => c.status === 'invalid').length;
    return {
      ...base,
      ok: false,
      failure: 'quorum',
      message: `not enough cosignatures: ${cth.cosignatures.length} given, ${verifiedWitnesses.length} verified, ${invalid} failed to verify`,
    };
  }
  return { ...base, ok: true, failure: undefined, message: undefined };
}
