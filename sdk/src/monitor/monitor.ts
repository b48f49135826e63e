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
import { verifyConsistency } from '../merkle/verify.js';
import { leafHashOf, verifyLeafSignature, type Leaf } from '../types/leaf.js';
import type { CosignedTreeHead } from '../types/tree-head.js';
import type { Policy, PolicyLog } from '../policy/policy.js';
import { verifyCosignedTreeHead, type CosignedTreeHeadResult } from '../policy/verify.js';
import { LogClient } from '../client/log.js';
import { isTransportError, sleep } from '../client/http.js';
import { TilesLogSource } from '../tiles/log-source.js';
import { TileVerificationError } from '../tiles/tree.js';
import { DEFAULT_MAX_COSIGNATURE_SKEW_MS, cosignedAt } from './freshness.js';
import { emptyState, loadState, saveState, type LogState, type MonitorState } from './state.js';

/** What the monitor reads from a log: the v1 API, or the same through tiles. */
type LogReader = Pick<LogClient, 'getTreeHead' | 'getConsistencyProof' | 'getLeaves'>;

/** Kinds of alert, from most to least severe. */
export type AlertKind =
  | 'inconsistent-tree-head' // consistency proof fails, or same size with another root
  | 'rollback' // a tree head smaller than one seen before
  | 'leaves-mismatch' // the leaves served do not hash to the tree head
  | 'invalid-log-signature'
  | 'invalid-leaf-signature' // a leaf claims a watched key but its signature does not verify
  | 'quorum-not-met'
  | 'stale-tree-head'
  | 'future-cosignature' // a witness dated its cosignature beyond the allowed clock skew
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
      /** The witness concerned (hex key hash), if any. */
      witness?: string;
    };

const SEVERITY: Record<AlertKind, 'critical' | 'warning'> = {
  'inconsistent-tree-head': 'critical',
  rollback: 'critical',
  'leaves-mismatch': 'critical',
  'invalid-log-signature': 'critical',
  'invalid-leaf-signature': 'critical',
  'quorum-not-met': 'warning',
  'stale-tree-head': 'warning',
  'future-cosignature': 'warning',
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
  /**
   * Alert when the tree head is older than this, ms: by the newest time a
   * quorum of witnesses cosigned it (with `quorum none`, or no quorum among
   * the cosignatures, the newest cosignature; without any, how long it has
   * been served). Default: no check.
   */
  maxTreeHeadAgeMs?: number;
  /**
   * Cosignatures dated more than this far in the future (ms) are reported
   * (`future-cosignature`) and not counted for freshness. Default 60 s.
   */
  maxCosignatureSkewMs?: number;
  /** Time allowed for one HTTP request, ms (default 30 s). */
  requestTimeoutMs?: number;
  /** fetch implementation (default: global). */
  fetch?: typeof fetch;
  /**
   * Follow the policy's log through C2SP tlog-tiles at this URL (a CDN or a
   * static export) instead of its v1 API (docs/tiles.md); the policy must
   * name exactly one log. Alerts are the same.
   */
  tilesUrl?: string;
  /** Called after each batch of leaves read in a round (`read` of `size`), e.g. for a progress display while catching up. */
  onLeavesRead?: (log: string, read: bigint, size: bigint) => void;
  /** Clock (ms), for tests of freshness. */
  now?: () => number;
}

/** Follows the logs of a policy. Create, then {@link Monitor.runOnce} or {@link Monitor.run}. */
export class Monitor {
  readonly #o: MonitorOptions;
  readonly #keys: Map<string, Uint8Array>;
  readonly #logs: { entity: PolicyLog; client: LogReader }[];
  #state: MonitorState | undefined;

  constructor(options: MonitorOptions) {
    this.#o = options;
    this.#keys = new Map(options.submitKeys.map((k) => [toHex(keyHash(k)), k]));
    if (options.tilesUrl !== undefined) {
      if (options.policy.logs.length !== 1) throw new TypeError(`following a log through tiles needs a policy with exactly one log, it has ${options.policy.logs.length}`);
      const entity = options.policy.logs[0]!;
      const client = new TilesLogSource({ url: options.tilesUrl, logPublicKey: entity.publicKey, policy: options.policy, timeoutMs: options.requestTimeoutMs ?? 30_000, retries: 2, ...(options.fetch ? { fetch: options.fetch } : {}) });
      this.#logs = [{ entity, client }];
      return;
    }
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

  #alert(log: string, alert: AlertKind, message: string, extra: { index?: bigint; keyHash?: string; witness?: string } = {}): void {
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

  /**
   * One round for one log, as a list of checks in order; a check that fails
   * in a way that makes the rest meaningless raises its alert and ends the
   * round without updating the state, so the next round retries from the
   * last state that passed.
   */
  async #checkLog(entity: PolicyLog, client: LogReader, state: MonitorState, signal: AbortSignal | undefined): Promise<void> {
    const round: Round = { name: entity.keyHashHex, entity, client, signal, prev: state.logs.get(entity.keyHashHex) };
    const cth = await this.#fetchTreeHead(round);
    if (cth === undefined) return;
    const v = await this.#checkCosignedTreeHead(round, cth);
    if (v === undefined) return;
    if (!this.#checkNoRollback(round, cth)) return;
    if (!(await this.#checkConsistency(round, cth))) return;
    const changed = round.prev === undefined || cth.size !== round.prev.size;
    if (changed) this.#o.onEvent({ type: 'tree-head', log: round.name, size: cth.size, rootHash: toHex(cth.rootHash) });
    const firstSeenMs = round.prev === undefined || changed ? this.#now() : round.prev.firstSeenMs;
    this.#checkFreshness(round, v, firstSeenMs);
    const leaves = await this.#fetchNewLeaves(round, cth);
    if (leaves === undefined) return;
    if (!this.#checkLeavesMatch(round, cth, leaves.range)) return;
    await this.#reportWatchedLeaves(round, leaves.found);
    if (leaves.nextIndex > leaves.start) {
      this.#o.onEvent({ type: 'progress', log: round.name, processed: leaves.nextIndex, size: cth.size });
    }
    state.logs.set(round.name, { size: cth.size, rootHash: cth.rootHash, nextIndex: leaves.nextIndex, range: leaves.range.border().map((n) => n.hash), firstSeenMs });
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /** The log's current cosigned tree head; an unreachable log is a warning. */
  async #fetchTreeHead(r: Round): Promise<CosignedTreeHead | undefined> {
    try {
      return await r.client.getTreeHead(r.signal ? { signal: r.signal } : {});
    } catch (e) {
      if (!r.signal?.aborted) this.#alert(r.name, 'log-unreachable', `get-tree-head failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The log's signature must verify (else the round ends); a missed quorum is a warning only, as the log still commits to its leaves. */
  async #checkCosignedTreeHead(r: Round, cth: CosignedTreeHead): Promise<CosignedTreeHeadResult | undefined> {
    const v = await verifyCosignedTreeHead(this.#o.policy, r.entity.keyHash, cth);
    if (v.failure === 'log-signature' || v.failure === 'duplicate-cosignature') {
      this.#alert(r.name, 'invalid-log-signature', `tree head of size ${cth.size} rejected: ${v.message}`);
      return undefined;
    }
    if (v.failure === 'quorum') this.#alert(r.name, 'quorum-not-met', `tree head of size ${cth.size}: ${v.message}`);
    return v;
  }

  /** A head smaller than one seen before, or a second root for the same size, is an alarm. */
  #checkNoRollback(r: Round, cth: CosignedTreeHead): boolean {
    const prev = r.prev;
    if (prev === undefined) return true;
    if (cth.size < prev.size) {
      this.#alert(r.name, 'rollback', `tree head size ${cth.size} is smaller than size ${prev.size} seen before`);
      return false;
    }
    if (cth.size === prev.size && !bytesEqual(cth.rootHash, prev.rootHash)) {
      this.#alert(r.name, 'inconsistent-tree-head', `two roots for size ${cth.size}: ${toHex(prev.rootHash)} before, ${toHex(cth.rootHash)} now`);
      return false;
    }
    return true;
  }

  /** A larger head must be consistent with the last one seen. */
  async #checkConsistency(r: Round, cth: CosignedTreeHead): Promise<boolean> {
    const prev = r.prev;
    if (prev === undefined || cth.size <= prev.size || prev.size === 0n) return true;
    try {
      const p = await r.client.getConsistencyProof(prev.size, cth.size, r.signal ? { signal: r.signal } : {});
      verifyConsistency(prev.size, cth.size, prev.rootHash, cth.rootHash, p.path);
      return true;
    } catch (e) {
      if (r.signal?.aborted) return false;
      const msg = (e as Error).message;
      // A log that cannot be asked is a warning; a proof that fails is the alarm this monitor exists for.
      if (isTransportError(e)) this.#alert(r.name, 'log-unreachable', `get-consistency-proof failed: ${msg}`);
      else this.#alert(r.name, 'inconsistent-tree-head', `tree head of size ${cth.size} is not consistent with size ${prev.size}: ${msg}`);
      return false;
    }
  }

  /**
   * Witnesses timestamp their cosignatures; without them, the head is as old
   * as the time it has been served. Cosignatures dated beyond the allowed
   * skew are reported and do not count (see {@link cosignedAt}).
   */
  #checkFreshness(r: Round, v: CosignedTreeHeadResult, firstSeenMs: number): void {
    const now = this.#now();
    const at = cosignedAt(this.#o.policy, v.cosignatures, now, this.#o.maxCosignatureSkewMs ?? DEFAULT_MAX_COSIGNATURE_SKEW_MS);
    for (const f of at.future) {
      const ahead = Math.round((f.timestampMs - now) / 1000);
      this.#alert(r.name, 'future-cosignature', `witness ${f.witness.name} (${f.witness.keyHashHex}) dated its cosignature ${ahead} s in the future; not counted for freshness`, { witness: f.witness.keyHashHex });
    }
    const limit = this.#o.maxTreeHeadAgeMs;
    if (limit === undefined) return;
    const ageMs = now - (at.timeMs ?? firstSeenMs);
    if (ageMs <= limit) return;
    const by = at.timeMs === undefined ? '' : at.timeMs === at.newestMs ? ' by its newest cosignature' : ' by the newest time a quorum of witnesses cosigned';
    this.#alert(r.name, 'stale-tree-head', `tree head is ${Math.round(ageMs / 1000)} s old (limit ${Math.round(limit / 1000)} s)${by}`);
  }

  /**
   * Fetch leaves [nextIndex, size) in batches into the compact range of the
   * leaves processed so far, collecting those of watched keys.
   * Returns undefined (after a warning) when a request fails: nothing is
   * persisted for this round, so the next one resumes from the last state.
   */
  async #fetchNewLeaves(r: Round, cth: CosignedTreeHead): Promise<NewLeaves | undefined> {
    const start = r.prev?.nextIndex ?? 0n;
    const range = CompactRange.fromBorder(Number(start), r.prev?.range ?? []);
    const batch = BigInt(this.#o.batchSize ?? 512);
    const found: WatchedLeaf[] = [];
    let index = start;
    while (index < cth.size) {
      const end = index + batch < cth.size ? index + batch : cth.size;
      let leaves: Leaf[];
      try {
        leaves = await r.client.getLeaves(index, end, r.signal ? { signal: r.signal } : {});
      } catch (e) {
        if (r.signal?.aborted) return undefined;
        // Tiles are checked against the root before any leaf is handed out: a mismatch is the leaves alarm.
        if (e instanceof TileVerificationError) this.#alert(r.name, 'leaves-mismatch', `entry bundles for ${index}..${end} do not hash to the tree head: ${e.message}`);
        else this.#alert(r.name, 'log-unreachable', `get-leaves ${index}..${end} failed: ${(e as Error).message}`);
        return undefined;
      }
      for (const leaf of leaves) {
        range.append(leafHashOf(leaf));
        if (this.#keys.has(toHex(leaf.keyHash))) found.push({ index, leaf });
        index++;
      }
      this.#o.onLeavesRead?.(r.name, index, cth.size);
    }
    return { start, nextIndex: index, range, found };
  }

  /** The leaves served must hash to the head's root; nothing is reported from leaves that do not. */
  #checkLeavesMatch(r: Round, cth: CosignedTreeHead, range: CompactRange): boolean {
    if (bytesEqual(range.root(), cth.rootHash)) return true;
    this.#alert(r.name, 'leaves-mismatch', `the ${cth.size} leaves served do not hash to the root of the tree head`);
    return false;
  }

  /** Report each leaf of a watched key; one whose signature does not verify is an alarm. */
  async #reportWatchedLeaves(r: Round, found: readonly WatchedLeaf[]): Promise<void> {
    for (const { index, leaf } of found) {
      const kh = toHex(leaf.keyHash);
      if (await verifyLeafSignature(leaf, this.#keys.get(kh)!)) {
        this.#o.onEvent({ type: 'leaf', log: r.name, index, keyHash: kh, checksum: toHex(leaf.checksum), signature: toHex(leaf.signature) });
      } else {
        this.#alert(r.name, 'invalid-leaf-signature', `leaf ${index} names watched key ${kh} but its signature does not verify`, { index, keyHash: kh });
      }
    }
  }
}

/** What one round of {@link Monitor} works on for one log. */
interface Round {
  /** The log's key hash, hex: the name used in events and the state file. */
  name: string;
  entity: PolicyLog;
  client: LogReader;
  signal: AbortSignal | undefined;
  /** The state after the last round that passed, if any. */
  prev: LogState | undefined;
}

/** A leaf naming a watched submitter key. */
interface WatchedLeaf {
  index: bigint;
  leaf: Leaf;
}

/** The leaves fetched in one round. */
interface NewLeaves {
  /** First index fetched. */
  start: bigint;
  /** One past the last index fetched. */
  nextIndex: bigint;
  /** Compact range over leaves [0, nextIndex). */
  range: CompactRange;
  found: WatchedLeaf[];
}
