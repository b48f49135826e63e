/**
 * The primary's replication gate: before a tree head is signed and before
 * add-leaf answers 200, the primary asks its secondary for its signed tree
 * head, checks the signature against the configured secondary key and the
 * root against its own tree at that size, and allows at most that size.
 *
 * A secondary that is down, lagging or wrong never lowers the gate (the
 * sequencer only moves it forward); it only stops it from rising, so reads
 * keep working and add-leaf answers 202 until the secondary has the leaf.
 */
import { bytesEqual, parseSignedTreeHeadBody, toHex, toSafeNumber, verifyTreeHeadSignature } from '@sigsum-kit/sdk';
import { treeRoot } from '@sigsum-kit/sdk/internal';
import type { ReplicationGate } from '../sequencer/gate.js';
import type { Storage } from '../storage/types.js';
import { silentLogger, type Logger } from '../logger.js';
import { REPLICATION_ENDPOINTS, baseUrl, describeFailure, internalGet } from './protocol.js';
import { ReplicationCheckError } from '../errors.js';

/** Options of {@link secondaryGate}. */
export interface SecondaryGateOptions {
  /** Base URL of the secondary's internal listener. */
  url: string;
  /** The secondary's own Ed25519 public key (32 bytes). */
  secondaryPublicKey: Uint8Array;
  /** The primary's storage, to compute its own root at the secondary's size. */
  storage: Storage;
  /** Shared bearer token of the internal API. */
  token?: string;
  /** Time allowed for one request, ms (default 2000). */
  timeoutMs?: number;
  /** Shortest time between two requests, ms (default 20): the sequencer asks after every integration. */
  minIntervalMs?: number;
  /** Where to report problems (when the problem changes, and again every `repeatLogMs` while it lasts). */
  logger?: Logger;
  /** Repeat the report of a lasting problem this often, ms (default 60000). */
  repeatLogMs?: number;
  /** Called with each verified secondary size (metrics, health). */
  onReplicated?: (size: number) => void;
}

/** A gate and its last observations, for health reporting. */
export interface SecondaryGate {
  /** The gate to give to the sequencer. */
  gate: ReplicationGate;
  /** Last verified size of the secondary, or undefined before the first answer. */
  replicatedSize(): number | undefined;
  /** The current problem, if the last check failed. */
  lastError(): string | undefined;
}


/** Build the gate of a primary with one secondary. */
export function secondaryGate(opts: SecondaryGateOptions): SecondaryGate {
  const url = baseUrl(opts.url) + REPLICATION_ENDPOINTS.secondaryTreeHead;
  const log = opts.logger ?? silentLogger;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const minInterval = opts.minIntervalMs ?? 20;
  let verified: number | undefined;
  let problem: string | undefined;
  let inFlight: Promise<number> | undefined;
  let lastAt = 0;
  let loggedAt = 0;
  const repeatMs = opts.repeatLogMs ?? 60_000;

  const check = async (integrated: number): Promise<number> => {
    try {
      const res = await internalGet(url, opts.token, timeoutMs);
      const sth = parseSignedTreeHeadBody(res.body);
      if (!(await verifyTreeHeadSignature(sth, opts.secondaryPublicKey))) {
        throw new ReplicationCheckError('replication.signature', `secondary tree head of size ${sth.size} is not signed by the configured secondary key`);
      }
      const size = toSafeNumber(sth.size, 'size');
      const own = opts.storage.treeSize();
      // A secondary ahead of us means we lost durable leaves (restored from a backup?) or it follows another primary.
      if (size > own) throw new ReplicationCheckError('replication.ahead', `secondary has ${size} leaves but this primary only ${own}`);
      const root = treeRoot(size, opts.storage);
      if (!bytesEqual(root, sth.rootHash)) {
        throw new ReplicationCheckError('replication.root-mismatch', `secondary root at size ${size} is ${toHex(sth.rootHash)}, ours is ${toHex(root)}`);
      }
      if (verified !== undefined && size < verified) {
        // Leaves acknowledged earlier may now exist on this primary only: tell the operator.
        log.error({ size, previous: verified }, 'secondary tree shrank (lost or replaced database?); earlier acknowledged leaves are not on it until it catches up');
      }
      if (problem !== undefined) log.info({ size }, 'secondary is replicating again');
      problem = undefined;
      if (verified === undefined || size > verified) verified = size;
      opts.onReplicated?.(size);
      return Math.min(size, integrated);
    } catch (err) {
      const reason = describeFailure(err);
      if (reason !== problem || Date.now() - loggedAt >= repeatMs) {
        loggedAt = Date.now();
        // Loud for a wrong answer, a warning for an unreachable secondary; each only when it changes.
        if (err instanceof ReplicationCheckError) log.error({ code: err.code, reason }, 'secondary tree head rejected; not publishing beyond it');
        else log.warn({ reason }, 'secondary unreachable; tree heads are not published until it answers');
      }
      problem = reason;
      // The last verified size stays valid: the secondary's storage is durable.
      return Math.min(verified ?? 0, integrated);
    }
  };

  const gate: ReplicationGate = (integrated) => {
    if (inFlight !== undefined) return inFlight.then((n) => Math.min(n, integrated));
    if (Date.now() - lastAt < minInterval) return Math.min(verified ?? 0, integrated);
    lastAt = Date.now();
    inFlight = check(integrated).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return { gate, replicatedSize: () => verified, lastError: () => problem };
}
