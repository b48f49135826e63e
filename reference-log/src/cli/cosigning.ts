/**
 * Builds the log's {@link Cosigner} from the configured policy: no policy
 * file means no witnesses are needed; otherwise the witnesses with a URL.
 */
import { readFileSync } from 'node:fs';
import { parsePolicy, type Signer } from '@sigsum-kit/sdk';
import { createCosigner, noWitnesses, type Cosigner, type CosignerMetrics } from '../cosigning/index.js';
import type { Logger } from '../logger.js';

/** Options for {@link cosignerFromPolicyFile}. */
export interface CosignerFromPolicyOptions {
  /** Path of a Sigsum policy file; `""` = no witnesses. */
  policyFile: string;
  /** The log key. */
  logSigner: Signer;
  /** Consistency proof of the log's integrated tree between two sizes (for witnesses). */
  consistencyProof: (oldSize: number, newSize: number) => Uint8Array[];
  /** Per-round witness timeout, ms. */
  timeoutMs: number;
  /** Where to report witness failures. */
  logger: Logger;
  /** Witness request and quorum metrics (the log's `LogMetrics`). */
  metrics?: CosignerMetrics;
}

/** Create the cosigner a policy file asks for. */
export function cosignerFromPolicyFile(opts: CosignerFromPolicyOptions): Cosigner {
  if (opts.policyFile === '') return noWitnesses;
  const policy = parsePolicy(readFileSync(opts.policyFile));
  return createCosigner({
    policy,
    logSigner: opts.logSigner,
    consistencyProof: opts.consistencyProof,
    timeoutMs: opts.timeoutMs,
    logger: opts.logger,
    metricsHook: opts.metrics,
  });
}
