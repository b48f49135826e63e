/**
 * Builds the log's {@link Cosigner} from the configured policy. With no
 * policy file (or `quorum none`) no witnesses are needed. Otherwise the
 * cosigning module (`../cosigning/index.js`, another engineer's) is loaded;
 * it is imported by a computed specifier so the log still builds while that
 * module does not exist yet.
 */
import { readFileSync } from 'node:fs';
import { keyHash, parsePolicy, type Signer } from '@sigsum-kit/sdk';
import { noWitnesses, type Cosigner, type CosignResult } from '../sequencer/cosigner.js';
import type { Sequencer } from '../sequencer/sequencer.js';

/** Minimal logger shape passed to the cosigning module. */
export interface CosignLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options for {@link cosignerFromPolicyFile}. */
export interface CosignerFromPolicyOptions {
  /** Path of a Sigsum policy file; `""` = no witnesses. */
  policyFile: string;
  /** The log key. */
  logSigner: Signer;
  /** Where consistency proofs for witnesses come from (set once the sequencer exists). */
  sequencer: () => Sequencer;
  /** Per-tree-head witness timeout, ms. */
  timeoutMs: number;
  /** Logger. */
  logger: CosignLogger;
}

/** Create the cosigner a policy file asks for. */
export async function cosignerFromPolicyFile(opts: CosignerFromPolicyOptions): Promise<Cosigner> {
  if (opts.policyFile === '') return noWitnesses;
  const policy = parsePolicy(readFileSync(opts.policyFile));
  const logKeyHash = keyHash(opts.logSigner.publicKey);
  const spec = '../cosigning/index.js';
  let mod: { createCosigner?: (o: unknown) => { cosign(sth: unknown): Promise<CosignResult>; close?(): Promise<void> | void } };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (err) {
    throw new Error(`a policy file is configured but the cosigning module cannot be loaded: ${(err as Error).message}`);
  }
  if (typeof mod.createCosigner !== 'function') throw new Error('the cosigning module does not export createCosigner');
  const inner = mod.createCosigner({
    policy,
    logSigner: opts.logSigner,
    logKeyHash,
    consistencyProof: (oldSize: number, newSize: number) => opts.sequencer().consistencyProof(oldSize, newSize),
    timeoutMs: opts.timeoutMs,
    logger: opts.logger,
  });
  return {
    cosign: (sth) => inner.cosign(sth),
    close: () => inner.close?.(),
  };
}
