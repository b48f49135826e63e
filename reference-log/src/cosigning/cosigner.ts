/**
 * The log's cosigning fan-out: ask every witness of the policy that has a
 * URL to cosign a signed tree head (C2SP tlog-witness add-checkpoint), in
 * parallel and within one time bound, verify what comes back, and evaluate
 * the policy's quorum.
 *
 * Each witness's last known size is kept in memory. It starts unknown (0);
 * a 409 tells us the real size and we retry once with a proof from there,
 * so a restarted log or witness converges within one round.
 */
import {
  HttpError,
  SigsumError,
  WitnessClient,
  WitnessConflictError,
  addCheckpointWithRetry,
  bytesEqual,
  keyHash,
  toSafeNumber,
  type Cosignature,
  type Policy,
  type PolicyWitness,
  type SignedTreeHead,
  type Signer,
} from '@sigsum-kit/sdk';
import type { Logger } from '../logger.js';
import type { CosignFailure, Cosigner } from './contract.js';


/** Optional metrics sink; the log's `LogMetrics` has exactly these methods. */
export interface CosignerMetrics {
  /** One add-checkpoint exchange with a witness (status: final HTTP status, or `other` for no response). */
  observeWitnessRequest(witnessUrl: string, status: number | 'other', retried: boolean, seconds?: number): void;
  /** One cosigning round. */
  observeQuorum(reached: boolean, seconds?: number): void;
}

/** Options of {@link createCosigner}. */
export interface CosignerOptions {
  /** The log's policy: its witnesses (those with a URL are asked) and quorum. */
  policy: Policy;
  /** Hash of the log's public key (checked against the key). */
  logKeyHash?: Uint8Array;
  /** The log's public key; or give `logSigner`. */
  logPublicKey?: Uint8Array;
  /** The log's signer (only its public key is used). */
  logSigner?: Signer;
  /** Consistency proof of the log between two sizes (old > 0, old < new). */
  consistencyProof: (oldSize: number, newSize: number) => Uint8Array[] | Promise<Uint8Array[]>;
  /** Time allowed for one whole round (both attempts of every witness), ms. */
  timeoutMs: number;
  /** Where to report witness failures. */
  logger?: Logger;
  /** Metrics sink. */
  metricsHook?: CosignerMetrics;
  /** fetch implementation (tests). */
  fetch?: typeof fetch;
}

/** The {@link Cosigner} over the policy's witnesses, which also reports where each witness is. */
export interface WitnessCosigner extends Cosigner {
  /** The sizes each witness is believed to be at (hex witness key hash → size). */
  knownSizes(): ReadonlyMap<string, bigint>;
  /** Abort requests in flight. */
  close(): void;
}

function describeError(e: unknown, timeoutMs: number): string {
  if (e instanceof WitnessConflictError) return `409 again after retry: witness is at size ${e.witnessSize}`;
  if (e instanceof HttpError) return `HTTP ${e.status}${e.serverMessage === '' ? '' : `: ${e.serverMessage}`}`;
  if (e instanceof SigsumError) return e.message;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no cosignature within ${timeoutMs} ms`;
  return e instanceof Error ? e.message : String(e);
}

/** Create the log's cosigner. */
export function createCosigner(options: CosignerOptions): WitnessCosigner {
  const logPublicKey = options.logPublicKey ?? options.logSigner?.publicKey;
  if (logPublicKey === undefined) throw new TypeError('createCosigner needs logPublicKey or logSigner');
  if (options.logKeyHash !== undefined && !bytesEqual(options.logKeyHash, keyHash(logPublicKey))) {
    throw new TypeError('createCosigner: logKeyHash does not match the log public key');
  }
  const witnesses = options.policy.witnesses.filter((w): w is PolicyWitness & { url: string } => w.url !== undefined);
  const sizes = new Map<string, bigint>();
  const clients = new Map<string, WitnessClient>();
  const inFlight = new Set<AbortController>();
  const log = options.logger;
  const metrics = options.metricsHook;
  const timeoutMs = options.timeoutMs;

  const clientOf = (w: PolicyWitness & { url: string }): WitnessClient => {
    let c = clients.get(w.keyHashHex);
    if (c === undefined) {
      c = new WitnessClient(w.url, { publicKey: w.publicKey, timeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}) });
      clients.set(w.keyHashHex, c);
    }
    return c;
  };

  const ask = async (w: PolicyWitness & { url: string }, sth: SignedTreeHead, signal: AbortSignal): Promise<Cosignature> => {
    const started = performance.now();
    try {
      const r = await addCheckpointWithRetry(clientOf(w), {
        sth,
        logPublicKey,
        knownSize: sizes.get(w.keyHashHex) ?? 0n,
        consistencyProof: (o, n) => options.consistencyProof(toSafeNumber(o, 'old size'), toSafeNumber(n, 'new size')),
        signal,
      });
      // Rounds may overlap: a slower round for an older tree head must not move the cache back.
      const prev = sizes.get(w.keyHashHex) ?? 0n;
      sizes.set(w.keyHashHex, r.witnessSize > prev ? r.witnessSize : prev);
      metrics?.observeWitnessRequest(w.url, 200, r.retried, (performance.now() - started) / 1000);
      return r.cosignatures[0]!;
    } catch (e) {
      // A conflict that survives the retry still tells us where the witness is.
      if (e instanceof WitnessConflictError) sizes.set(w.keyHashHex, e.witnessSize);
      metrics?.observeWitnessRequest(w.url, e instanceof HttpError ? e.status : 'other', e instanceof WitnessConflictError);
      throw e;
    }
  };

  return {
    async cosign(sth) {
      const started = performance.now();
      const controller = new AbortController();
      inFlight.add(controller);
      const timer = setTimeout(() => controller.abort(new DOMException(`no cosignature within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
      try {
        const settled = await Promise.allSettled(witnesses.map((w) => ask(w, sth, controller.signal)));
        const cosignatures: Cosignature[] = [];
        const failures: CosignFailure[] = [];
        settled.forEach((s, i) => {
          const w = witnesses[i]!;
          if (s.status === 'fulfilled') cosignatures.push(s.value);
          else failures.push({ witness: w.name, reason: describeError(s.reason, timeoutMs) });
        });
        const quorumMet = options.policy.quorumHolds(cosignatures.map((c) => c.keyHash));
        metrics?.observeQuorum(quorumMet, (performance.now() - started) / 1000);
        for (const f of failures) log?.warn({ witness: f.witness, size: String(sth.size), reason: f.reason }, 'witness did not cosign');
        if (!quorumMet) log?.warn({ size: String(sth.size), cosignatures: cosignatures.length, failures: failures.length }, 'witness quorum not met');
        else log?.debug?.({ size: String(sth.size), cosignatures: cosignatures.length }, 'witness quorum met');
        return { cosignatures, quorumMet, failures };
      } finally {
        clearTimeout(timer);
        inFlight.delete(controller);
      }
    },
    knownSizes() {
      return new Map(sizes);
    },
    close() {
      for (const c of inFlight) c.abort(new DOMException('cosigner closed', 'AbortError'));
      inFlight.clear();
    },
  };
}
