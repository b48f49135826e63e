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
import { syncSha256 } from '../crypto/digest.js';
import { chosenVerifier } from '../crypto/chosen-verifier.js';
import { cosignedText, formatCheckpoint, treeHeadOrigin, type Cosignature, type CosignedTreeHead } from '../types/tree-head.js';
import type { Policy, PolicyLog, PolicyWitness } from './policy.js';

// Checkpoint origin of each policy log (a parsed policy is reused for many proofs).
const origins = new WeakMap<PolicyLog, string>();

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

/** The signature checks of one cosigned tree head: messages, keys and signatures, not yet verified. */
interface PendingChecks {
  log: PolicyLog;
  entries: { cosignature: Cosignature; keyHashHex: string; witness: PolicyWitness | undefined }[];
  /** [public key, message, signature] of the log signature, then of each entry; undefined where the verdict is false without a check. */
  checks: ([Uint8Array, Uint8Array, Uint8Array] | undefined)[];
}

/** Everything up to the signature checks: the result when that already decides, else the checks to make. */
function prepare(policy: Policy, logKeyHash: Uint8Array | string, cth: CosignedTreeHead): CosignedTreeHeadResult | PendingChecks {
  const log = policy.findLog(logKeyHash);
  if (log === undefined) {
    return failed('unknown-log', `log ${typeof logKeyHash === 'string' ? logKeyHash.toLowerCase() : toHex(logKeyHash)} is not in the policy`, {});
  }
  const seen = new Set<string>();
  const entries: PendingChecks['entries'] = [];
  for (const c of cth.cosignatures) {
    const keyHashHex = toHex(c.keyHash);
    if (seen.has(keyHashHex)) return failed('duplicate-cosignature', `duplicate cosignature for key hash ${keyHashHex}`, { log });
    seen.add(keyHashHex);
    entries.push({ cosignature: c, keyHashHex, witness: policy.findWitness(keyHashHex) });
  }
  // The verdicts are those of verifyTreeHeadSignature and verifyCosignature;
  // the origin comes from the policy's key hash, formatted once per policy log.
  const sizeOk = cth.size >= 0n && cth.size <= MAX_UINT63;
  let origin = origins.get(log);
  if (origin === undefined) origins.set(log, (origin = treeHeadOrigin(log.keyHash)));
  const checks: PendingChecks['checks'] = [sizeOk ? [log.publicKey, utf8(formatCheckpoint(cth, origin)), cth.signature] : undefined];
  for (const { witness, cosignature: c } of entries) {
    checks.push(witness === undefined || !sizeOk || c.timestamp < 0n || c.timestamp > MAX_UINT64 ? undefined : [witness.publicKey, utf8(cosignedText(cth, origin, c.timestamp)), c.signature]);
  }
  return { log, entries, checks };
}

/** The result, given the verdict of every check of `p` (log signature first). */
function conclude(policy: Policy, cth: CosignedTreeHead, p: PendingChecks, verdicts: readonly boolean[]): CosignedTreeHeadResult {
  const { log, entries } = p;
  if (!verdicts[0]) return failed('log-signature', 'invalid log signature on the tree head', { log });
  // Objects of one shape each, written out (spreads make slower ones on this hot path).
  const cosignatures: CosignatureCheck[] = [];
  const verifiedWitnesses: string[] = [];
  let invalid = 0;
  for (let i = 0; i < entries.length; i++) {
    const { cosignature, keyHashHex, witness } = entries[i]!;
    const status: CosignatureStatus = witness === undefined ? 'unknown-witness' : verdicts[i + 1] ? 'verified' : 'invalid';
    cosignatures.push({ cosignature, keyHashHex, witness, status });
    if (status === 'verified') verifiedWitnesses.push(keyHashHex);
    else if (status === 'invalid') invalid++;
  }
  const quorum = policy.quorumHolds(verifiedWitnesses);
  if (!quorum) {
    const message = `not enough cosignatures: ${cth.cosignatures.length} given, ${verifiedWitnesses.length} verified, ${invalid} failed to verify`;
    return { log, logSignatureValid: true, cosignatures, verifiedWitnesses, quorum, ok: false, failure: 'quorum', message };
  }
  return { log, logSignatureValid: true, cosignatures, verifiedWitnesses, quorum, ok: true, failure: undefined, message: undefined };
}

/**
 * {@link verifyCosignedTreeHead} in one synchronous pass with the synchronous
 * verifier `sync` (the chosen native one, see `crypto/chosen-verifier.ts`),
 * where the runtime has a synchronous SHA-256 for the policy's key hashes.
 * For the proof verifier.
 * @internal
 */
export function verifyCosignedTreeHeadSync(policy: Policy, logKeyHash: Uint8Array | string, cth: CosignedTreeHead, sync: NonNullable<typeof chosenVerifier.sync>): CosignedTreeHeadResult {
  const p = prepare(policy, logKeyHash, cth);
  if (!('checks' in p)) return p;
  return conclude(policy, cth, p, p.checks.map((c) => c !== undefined && sync(c[0], c[1], c[2])));
}

/**
 * Verify a cosigned tree head of the log with key hash `logKeyHash` under
 * `policy`. The log signature and all cosignatures of known witnesses are
 * verified concurrently. Never throws for bad input: the result says what
 * failed. Duplicate cosignature key hashes are rejected (sigsum-go refuses
 * such tree heads when parsing).
 */
export async function verifyCosignedTreeHead(policy: Policy, logKeyHash: Uint8Array | string, cth: CosignedTreeHead): Promise<CosignedTreeHeadResult> {
  const sync = syncSha256() && chosenVerifier.sync;
  if (sync) return verifyCosignedTreeHeadSync(policy, logKeyHash, cth, sync);
  await policy.hashKeys();
  const p = prepare(policy, logKeyHash, cth);
  if (!('checks' in p)) return p;
  return conclude(policy, cth, p, await Promise.all(p.checks.map((c) => (c === undefined ? false : verify(c[0], c[1], c[2])))));
}
