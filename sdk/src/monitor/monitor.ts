/**
 * A Sigsum log monitor (Node): follows every log of a policy, checks each new
 * tree head (log signature, witness quorum, freshness, consistency with the
 * last one seen, no rollback), fetches every new leaf, checks that the leaves
 * hash to the tree head, and reports the leaves of the watched submitter keys
 * — flagging any whose signature does not verify.
 *
 * Beyond sigsum-go's monitor (which reports key usage only), cosignatures,
 * quorum, freshness and state across restarts are covered.
 */
import { bytesEqual } from '../encoding/bytes.js';
import { toHex } from '../encoding/hex.js';
import { keyHash } from '../crypto/keyhash.js';
import { CompactRange } from '../merkle/compact.js';
import { borderPositions } from '../merkle/prove.js';
import { verifyConsistency } from '../merkle/verify.js';
import { leafHashOf, verifyLeafSignature, type Leaf } from '../types/leaf.js';
import type { CosignedTreeHead } from '../types/tree-head.js';
import type { Policy, PolicyLog } from '../policy/policy.js';
import { verifyCosignedTreeHead } from '../policy/verify.js';
import { LogClient } from '../client/log.js';
import { sleep } from '../client/http.js';
import { emptyState, loadState, saveState, type LogState, type MonitorState } from './state.js';

/** Kinds of alert, from most to least severe. */
export type AlertKind =
  | 'inconsistent-tree-head' // consistency proof fails, or same size with another root
  | 'rollback' // a tree head smaller than one seen before
  | 'leaves-mismatch' // the leaves served do not hash to the tree head
  | 'invalid-log-signature'
  | 'invalid-leaf-signature' // a leaf claims a watched key but its signature does not verify
  | 'quorum-not-met'
  | 'stale-tree-head'
  | 'log-unreachable';

/** Something the monitor reports. */
export type MonitorEvent =
  | {
      /** A new tree head of a log was verified. */
      type: 'tree-head';
      /** The log's URL. */
      log: string;
      /** Its size. */
      size: bigint;
      /** Its root hash (hex). */
      rootHash: string;
    }
  | {
      /** A leaf of one of the monitored submit keys. */
      type: 'leaf';
      /** The log's URL. */
      log: string;
      /** Leaf index. */
      index: bigint;
      /** Key hash of the submitter (hex). */
      keyHash: string;
      /** The leaf's checksum (hex). */
      checksum: string;
      /** The leaf's signature (hex). */
      signature: string;
    }
  | {
      /** Catching up: leaves of a log read so far. */
      type: 'progress';
      /** The log's URL. */
      log: string;
      /** Leaves read. */
      processed: bigint;
      /** Size of the tree being caught up with. */
      size: bigint;
    }
  | {
      /** Something is wrong with a log. */
      type: 'alert';
      /** What is wrong. */
      alert: AlertKind;
      /** The log's URL. */
      log: string;
      /** Human-readable explanation. */
      message: string;
      /** `critical`: evidence of misbehaviour; `warning`: availability. */
      severity: 'critical' | 'warning';
      /** The leaf concerned, if any. */
      index?: bigint;
      /** The submitter concerned (hex key hash), if any. */
      keyHash?: string;
    };

const SEVERITY: Record<AlertKind, 'critical' | 'warning'> = {
  'inconsistent-tree-head': 'critical',
  rollback: 'critical',
  'leaves-mismatch': 'critical',
  'invalid-log-signature': 'critical',
  'invalid-leaf-signature': 'critical',
  'quorum-not-met': 'warning',
  'stale-tree-head': 'warning',
  'log-unreachable': 'warning',
};

/** Options of {@link Monitor}. */
export interface MonitorOptions {
  /** Logs to follow (those with a URL), witnesses and quorum. */
  policy: Policy;
  /** Raw Ed25519 public keys whose leaves are reported. */
  submitKeys: readonly Uint8Array[];
  /** Receives every event. */
  onEvent: (e: MonitorEvent) => void;
  /** JSON state file; without it the monitor starts from scratch each run. */
  stateFile?: string;
  /** Leaves per get-leaves request (default 512, as sigsum-go). */
  batchSize?: number;
  /** Alert when the newest cosignature (or, without witnesses, the tree head) is older than this, ms. Default: no check. */
  maxTreeHeadAgeMs?: number;
  /** Time allowed for one HTTP request, ms (default 30 s). */
  requestTimeoutMs?: number;
  /** fetch implementation (default: global). */
  fetch?: typeof fetch;
  /** Clock (ms), for tests of freshness. */
  now?: () => number;
}

/** Follows the logs of a policy. Create, then {@link Monitor.runOnce} or {@link Monitor.run}. */
export class Monitor {
  readonly #o: MonitorOptions;
  readonly #keys: Map<string, Uint8Array>;
  readonly #logs: { entity: PolicyLog; client: LogClient }[];
  #state: MonitorState | undefined;

  constructor(options: MonitorOptions) {
    this.#o = options;
    this.#keys = new Map(options.submitKeys.map((k) => [toHex(keyHash(k)), k]));
    this.#logs = options.policy.logs
      .filter((l) => l.url !== undefined)
      .map((entity) => ({
        entity,
        client: new LogClient({ url: entity.url!, timeoutMs: options.requestTimeoutMs ?? 30_000, retries: 2, ...(options.fetch ? { fetch: options.fetch } : {}) }),
      }));
    if (this.#logs.length === 0) throw new TypeError('the policy names no log with a URL');
  }

  async #loadState(): Promise<MonitorState> {
    if (this.#state === undefined) {
      const keys = [...this.#keys.keys()];
      this.#state = this.#o.stateFile === undefined ? emptyState(keys) : await loadState(this.#o.stateFile, keys);
    }
    return this.#state;
  }

  #alert(log: string, alert: AlertKind, message: string, extra: { index?: bigint; keyHash?: string } = {}): void {
    this.#o.onEvent({ type: 'alert', alert, log, message, severity: SEVERITY[alert], ...extra });
  }

  /** Check every log once. Resolves when all are done (alerts are events, not rejections). */
  async runOnce(signal?: AbortSignal): Promise<void> {
    const state = await this.#loadState();
    await Promise.all(this.#logs.map((l) => this.#checkLog(l.entity, l.client, state, signal)));
    if (this.#o.stateFile !== undefined) await saveState(this.#o.stateFile, state);
  }

  /** Check every `intervalMs` until `signal` aborts. */
  async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.runOnce(signal);
      try {
        await sleep(intervalMs, signal);
      } catch {
        return;
      }
    }
  }

  async #checkLog(entity: PolicyLog, client: LogClient, state: MonitorState, signal: AbortSignal | undefined): Promise<void> {
    const name = entity.keyHashHex;
    const now = this.#o.now ?? Date.now;
    let cth: CosignedTreeHead;
    try {
      cth = await client.getTreeHead(signal ? { signal } : {});
    } catch (e) {
      if (signal?.aborted) return;
      this.#alert(name, 'log-unreachable', `get-tree-head failed: ${(e as Error).message}`);
      return;
    }
    const v = await verifyCosignedTreeHead(this.#o.policy, entity.keyHash, cth);
    if (v.failure === 'log-signature' || v.failure === 'duplicate-cosignature') {
      this.#alert(name, 'invalid-log-signature', `tree head of size ${cth.size} rejected: ${v.message}`);
      return;
    }
    if (v.failure === 'quorum') this.#alert(name, 'quorum-not-met', `tree head of size ${cth.size}: ${v.message}`);

    const prev = state.logs.get(name);
    if (prev !== undefined) {
      if (cth.size < prev.size) {
        this.#alert(name, 'rollback', `tree head size ${cth.size} is smaller than size ${prev.size} seen before`);
        return;
      }
      if (cth.size === prev.size && !bytesEqual(cth.rootHash, prev.rootHash)) {
        this.#alert(name, 'inconsistent-tree-head', `two roots for size ${cth.size}: ${toHex(prev.rootHash)} before, ${toHex(cth.rootHash)} now`);
        return;
      }
      if (cth.size > prev.size && prev.size > 0n) {
        try {
          const p = await client.getConsistencyProof(prev.size, cth.size, signal ? { signal } : {});
          verifyConsistency(prev.size, cth.size, prev.rootHash, cth.rootHash, p.path);
        } catch (e) {
          if (signal?.aborted) return;
          const msg = (e as Error).message;
          // A log that cannot be reached is a warning; a proof that fails is the alarm this monitor exists for.
          if ((e as { code?: string }).code?.startsWith('http.') === true) this.#alert(name, 'log-unreachable', `get-consistency-proof failed: ${msg}`);
          else this.#alert(name, 'inconsistent-tree-head', `tree head of size ${cth.size} is not consistent with size ${prev.size}: ${msg}`);
          return;
        }
      }
    }
    const changed = prev === undefined || cth.size !== prev.size;
    if (changed) this.#o.onEvent({ type: 'tree-head', log: name, size: cth.size, rootHash: toHex(cth.rootHash) });

    // Freshness: witnesses timestamp their cosignatures; without them, how long this head has been served.
    const firstSeenMs = changed ? now() : prev.firstSeenMs;
    if (this.#o.maxTreeHeadAgeMs !== undefined) {
      const verified = v.cosignatures.filter((c) => c.status === 'verified').map((c) => Number(c.cosignature.timestamp) * 1000);
      const ageMs = now() - (verified.length > 0 ? Math.max(...verified) : firstSeenMs);
      if (ageMs > this.#o.maxTreeHeadAgeMs) {
        this.#alert(name, 'stale-tree-head', `tree head is ${Math.round(ageMs / 1000)} s old (limit ${Math.round(this.#o.maxTreeHeadAgeMs / 1000)} s)${verified.length > 0 ? ' by its newest cosignature' : ''}`);
      }
    }

    // Leaves: fetch [nextIndex, size), check them against the tree head, report watched keys.
    const start = prev?.nextIndex ?? 0n;
    const range = restoreRange(start, prev?.range ?? []);
    const batch = BigInt(this.#o.batchSize ?? 512);
    const found: { index: bigint; leaf: Leaf }[] = [];
    let index = start;
    while (index < cth.size) {
      const end = index + batch < cth.size ? index + batch : cth.size;
      let leaves: Leaf[];
      try {
        leaves = await client.getLeaves(index, end, signal ? { signal } : {});
      } catch (e) {
        if (signal?.aborted) return;
        this.#alert(name, 'log-unreachable', `get-leaves ${index}..${end} failed: ${(e as Error).message}`);
        return; // nothing is persisted for this round: the next one resumes from the last state
      }
      for (const leaf of leaves) {
        range.append(leafHashOf(leaf));
        if (this.#keys.has(toHex(leaf.keyHash))) found.push({ index, leaf });
        index++;
      }
    }
    if (!bytesEqual(range.root(), cth.rootHash)) {
      this.#alert(name, 'leaves-mismatch', `the ${cth.size} leaves served do not hash to the root of the tree head`);
      return;
    }
    for (const { index: i, leaf } of found) {
      const kh = toHex(leaf.keyHash);
      if (await verifyLeafSignature(leaf, this.#keys.get(kh)!)) {
        this.#o.onEvent({ type: 'leaf', log: name, index: i, keyHash: kh, checksum: toHex(leaf.checksum), signature: toHex(leaf.signature) });
      } else {
        this.#alert(name, 'invalid-leaf-signature', `leaf ${i} names watched key ${kh} but its signature does not verify`, { index: i, keyHash: kh });
      }
    }
    if (index > start) this.#o.onEvent({ type: 'progress', log: name, processed: index, size: cth.size });
    const next: LogState = { size: cth.size, rootHash: cth.rootHash, nextIndex: index, range: range.border().map((n) => n.hash), firstSeenMs };
    state.logs.set(name, next);
  }
}

/** A compact range over `size` processed leaves from its stored border nodes. */
function restoreRange(size: bigint, border: Uint8Array[]): CompactRange {
  if (size === 0n) return new CompactRange();
  const n = Number(size);
  const positions = borderPositions(n);
  if (positions.length !== border.length) throw new TypeError(`stored range has ${border.length} nodes, size ${size} needs ${positions.length}`);
  const byPos = new Map(positions.map((p, i) => [`${p.level}/${p.index}`, border[i]!]));
  return CompactRange.restore(n, { getNode: (level, idx) => byPos.get(`${level}/${idx}`)! });
}
