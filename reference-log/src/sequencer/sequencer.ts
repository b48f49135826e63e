/**
 * The sequencer: queues accepted leaves, integrates them into the durable
 * tree in batches, and periodically signs, cosigns and publishes tree heads.
 *
 * Invariants: a leaf answered 200 is covered by the tree head served at that
 * moment (so get-tree-head then get-inclusion-proof succeed at once, as with
 * log-go); a head is written to storage before it is served, and never
 * replaced by a smaller or inconsistent one; a head covers only leaves that
 * are durable and below the replication gate.
 */
import {
  bytesEqual,
  signTreeHead,
  toHex,
  treeHeadOriginOfKey,
  type Signer,
} from '@sigsum-kit/sdk';
import {
  CompactRange,
  consistencyProof,
  treeRoot,
} from '@sigsum-kit/sdk/internal';
import type { LeafRecord, PublishedTreeHead, Storage } from '../storage/types.js';
import { readGuardFile, writeGuardFile, type GuardHead } from '../storage/guard.js';
import { verifyTree, type TreeVerification } from '../storage/verify.js';
import { describeCosignFailure, noWitnesses, type Cosigner } from '../cosigning/contract.js';
import { noReplication, type ReplicationGate } from './gate.js';
import { silentLogger, type Logger } from '../logger.js';
import { FailureLog } from './failures.js';
import { StartupError, type StartupErrorCode } from '../errors.js';
import { RecentLeaves } from './recent-leaves.js';

/**
 * Fewest leaves the start-up check re-hashes in a child process: below it
 * the scan holds little memory and a process would cost more than it saves.
 */
export const APART_MIN_LEAVES = 4096;

/** Longest pause between integration attempts while they fail (the first pause is twice the interval). */
export const MAX_INTEGRATE_BACKOFF_MS = 1000;

/** Sequencer settings. */
export interface SequencerOptions {
  /** The log's storage. */
  storage: Storage;
  /** The log's signing key. */
  signer: Signer;
  /** Witness cosigning (default: none needed). */
  cosigner?: Cosigner;
  /** Replication gate (default: everything integrated may be published). */
  gate?: ReplicationGate;
  /** Publish interval in ms (default 1000). */
  intervalMs?: number;
  /**
   * How often pending leaves are integrated, in ms (default 100). Each round
   * is one transaction and one fsync, which blocks the event loop for a
   * couple of ms: at a round every 10 ms, commits took 13 % of the main
   * thread under load (docs/benchmarks.md).
   */
  integrateIntervalMs?: number;
  /** Most leaves integrated in one transaction (default 8192). */
  batchSize?: number;
  /** Most leaves waiting for integration before add-leaf is refused (default 100000). */
  maxPending?: number;
  /** Where to log. */
  logger?: Logger;
  /** Clock (ms), for tests. */
  now?: () => number;
  /**
   * The published-tree-head file (see storage/guard.ts): checked against the
   * database at start-up, rewritten after every published head is stored and
   * before it is served. Undefined: no such guard (memory storage, tests).
   */
  guardFile?: string;
  /** Write the published-tree-head file from the database when it is missing (operator's explicit choice). */
  trustDatabase?: boolean;
  /**
   * How many of the newest leaves the start-up check re-hashes, with the
   * interior nodes they complete, up to the published head (default 1,000,000;
   * `Infinity` = all). Older nodes are trusted; `sigsum-log check` reads all.
   */
  startupVerifyLeaves?: number;
}

/**
 * Result of a submission: `published` (the served tree head covers the leaf)
 * → 200, `accepted` (queued, or integrated but not yet published) → 202,
 * `busy` → 503.
 */
export type SubmitStatus = 'published' | 'accepted' | 'busy';

/** Where a leaf stands, see {@link Sequencer.leafState}. */
export type LeafState = 'published' | 'integrated' | 'pending' | 'absent';

/**
 * How many of the newest integrated leaves the sequencer remembers by leaf
 * hash (≈ 2.5 MiB, {@link RecentLeaves}). Submitters re-send a leaf until it
 * is published, so most re-sends ask about a leaf integrated moments ago:
 * answered from memory, they skip the SQLite look-up. Older leaves are
 * looked up in storage.
 */
export const RECENT_LEAVES = 32_768;

/** Map key of a leaf hash: its 32 bytes as a latin1 string (cheaper than hex). */
function pendingKey(leafHash: Uint8Array): string {
  return Buffer.from(leafHash.buffer, leafHash.byteOffset, leafHash.byteLength).toString('latin1');
}


/** A reader over a compact range's own border nodes (all that `restore` reads). */
function borderReader(range: CompactRange): { getNode(level: number, index: number): Uint8Array } {
  const nodes = new Map(range.border().map((n) => [`${n.level}/${n.index}`, n.hash]));
  return {
    getNode(level, index) {
      const h = nodes.get(`${level}/${index}`);
      if (h === undefined) throw new Error(`border node ${level}/${index} missing`);
      return h;
    },
  };
}

/** See the module comment. */
export class Sequencer {
  readonly #storage: Storage;
  readonly #signer: Signer;
  readonly #cosigner: Cosigner;
  readonly #gate: ReplicationGate;
  readonly #intervalMs: number;
  readonly #integrateMs: number;
  readonly #batchSize: number;
  readonly #maxPending: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #pending = new Map<string, LeafRecord>();
  /** Index of each of the newest {@link RECENT_LEAVES} integrated leaves. */
  readonly #recent = new RecentLeaves(RECENT_LEAVES);
  /** add-leaf requests waiting for their leaf to be published (hex leaf hash → index once integrated, callbacks). */
  readonly #waiters = new Map<string, { index: number | undefined; wake: Set<(ok: boolean) => void> }>();
  #frontier!: CompactRange;
  #published: PublishedTreeHead | undefined;
  /** Largest size the gate allowed at the last check; the next head covers at most this many leaves. */
  #gatedSize = 0;
  /** Size of the newest head ever published (database or published-tree-head file): never publish below it. */
  #floor = 0;
  readonly #guardFile: string | undefined;
  #integrateTimer: ReturnType<typeof setTimeout> | undefined;
  #publishTimer: ReturnType<typeof setTimeout> | undefined;
  #publishing: Promise<void> | undefined;
  #running = false;
  /** Integration failures (a full disk): one line per change of state. */
  readonly #integrateFailures: FailureLog;
  /** Publication failures: one line per change of state. */
  readonly #publishFailures: FailureLog;
  /** Pause before the next integration attempt while they fail, ms (doubles up to MAX_INTEGRATE_BACKOFF_MS). */
  #integrateBackoffMs = 0;

  constructor(opts: SequencerOptions) {
    this.#storage = opts.storage;
    this.#signer = opts.signer;
    this.#cosigner = opts.cosigner ?? noWitnesses;
    this.#gate = opts.gate ?? noReplication;
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#integrateMs = opts.integrateIntervalMs ?? 100;
    this.#batchSize = opts.batchSize ?? 8192;
    this.#maxPending = opts.maxPending ?? 100_000;
    this.#log = opts.logger ?? silentLogger;
    this.#now = opts.now ?? Date.now;
    this.#guardFile = opts.guardFile;
    this.#integrateFailures = new FailureLog(this.#log, 'integrating leaves', this.#now);
    this.#publishFailures = new FailureLog(this.#log, 'publishing a tree head', this.#now);
    this.#published = this.#storage.latestTreeHead();
    // Check before reading the tree's nodes, so a truncated database is reported as a rollback.
    this.#checkStartup(opts.trustDatabase === true, opts.startupVerifyLeaves ?? 1_000_000);
    this.#frontier = CompactRange.restore(this.#storage.treeSize(), this.#storage);
    // A published head was gated (replicated) before it was signed.
    this.#gatedSize = this.#floor;
  }

  /** Refuse stored state that would roll back or fork the published history. */
  #checkStartup(trustDatabase: boolean, verifyLeaves: number): void {
    const mode = this.#storage.startupMode();
    const head = this.#published;
    const size = this.#storage.treeSize();
    if (mode === undefined) {
      throw new StartupError(
        'startup.no-mode',
        'the database records no start-up mode, so it was not created by `sigsum-log init`; refusing to start a tree under the log key ' +
          '(is the data volume mounted, is dataDir right, was the database replaced?)',
      );
    }
    if (mode === 'saved' && head === undefined) {
      throw new StartupError('startup.no-head', 'start-up mode "saved" but no published tree head is stored');
    }
    const guard = this.#checkGuard(mode, head, trustDatabase);
    if (head !== undefined && size < head.size) {
      throw new StartupError('startup.rollback', `stored tree has ${size} leaves but tree head of size ${head.size} was published`);
    }
    if (guard !== undefined && size < guard.size) {
      throw new StartupError('startup.rollback', `stored tree has ${size} leaves but the published-tree-head file ${this.#guardFile} says size ${guard.size} was published`);
    }
    this.#verifyStored(head, guard, verifyLeaves);
    this.#floor = Math.max(head?.size ?? 0, guard?.size ?? 0);
    // Stored but never recorded outside (stopped between the two writes), or adopted by the operator.
    if (this.#guardFile !== undefined && head !== undefined && (guard === undefined || head.size > guard.size)) writeGuardFile(this.#guardFile, head);
    this.startupState = { mode, treeSize: size, publishedSize: head?.size ?? null, guardSize: guard?.size ?? null };
  }

  /** The published-tree-head file, if it may be served beside this database. */
  #checkGuard(mode: string, head: PublishedTreeHead | undefined, trustDatabase: boolean): GuardHead | undefined {
    if (this.#guardFile === undefined) return undefined;
    const guard = readGuardFile(this.#guardFile);
    if (guard === undefined) {
      if (head !== undefined && !trustDatabase) {
        throw new StartupError(
          'startup.guard-missing',
          `the database holds published tree heads (newest: size ${head.size}) but the published-tree-head file ${this.#guardFile} is missing, ` +
            'so nothing confirms that this database is the log\'s latest state; restore that file, or, after checking the log\'s latest head ' +
            '(witnesses, monitors) against `sigsum-log status`, start once with --trust-database to write it from the database (docs/operations.md)',
        );
      }
      return undefined;
    }
    // A promotion from an unsigned head (a witness's state) stores no head in the database: the file alone records it.
    if (head === undefined ? mode !== 'local-tree' : head.size < guard.size) {
      throw new StartupError(
        'startup.guard-ahead',
        `the published-tree-head file ${this.#guardFile} says a tree head of size ${guard.size} was published, but the database's newest tree head is ` +
          `${head === undefined ? 'none' : `of size ${head.size}`}: this database is not the log's latest state ` +
          '(restored from an older backup? re-initialised? wrong dataDir or an unmounted volume?); serving it would fork the log (docs/operations.md)',
      );
    }
    return guard;
  }

  /** Recompute the newest leaves, their nodes and the published roots from the leaves. */
  #verifyStored(head: PublishedTreeHead | undefined, guard: GuardHead | undefined, verifyLeaves: number): void {
    const roots = new Map<number, Uint8Array>();
    const expect = (size: number, root: Uint8Array, what: string, code: StartupErrorCode): void => {
      const other = roots.get(size);
      if (other !== undefined && !bytesEqual(other, root)) {
        throw new StartupError(code, `${what} has root ${toHex(root)} at size ${size}, the database's published head has ${toHex(other)}`);
      }
      roots.set(size, root);
    };
    if (head !== undefined) expect(head.size, head.rootHash, 'the published tree head', 'startup.inconsistent');
    if (guard !== undefined) expect(guard.size, guard.rootHash, `the published-tree-head file ${this.#guardFile}`, 'startup.guard-inconsistent');
    const size = this.#storage.treeSize();
    const start = Number.isFinite(verifyLeaves) ? Math.max(0, size - verifyLeaves) : 0;
    const result = this.#verifyRange(start, size, roots);
    if (result.damage !== undefined) {
      const d = result.damage;
      if (d.code === 'root') {
        const fromGuard = guard !== undefined && d.index === guard.size && (head === undefined || head.size !== guard.size);
        const want = toHex(roots.get(d.index)!);
        if (!fromGuard) throw new StartupError('startup.inconsistent', `stored tree of size ${d.index} has root ${toHex(d.root!)}, published root is ${want}`);
        throw new StartupError('startup.guard-inconsistent', `stored tree of size ${d.index} has root ${toHex(d.root!)}, the published-tree-head file ${this.#guardFile} says ${want}`);
      }
      throw new StartupError(
        'startup.damaged',
        `the database is damaged: ${d.message}; refusing to serve it (run \`sigsum-log check\`, then restore, docs/operations.md)`,
      );
    }
    // Heads older than the re-hashed range: compare with the root from the stored nodes.
    for (const [s, root] of roots) {
      if (start === 0 || s > start) continue;
      const stored = treeRoot(s, this.#storage);
      if (!bytesEqual(stored, root)) {
        throw new StartupError('startup.inconsistent', `stored tree of size ${s} has root ${toHex(stored)}, published root is ${toHex(root)}`);
      }
    }
  }

  /**
   * {@link verifyTree} of `[start, end)`: from {@link APART_MIN_LEAVES}
   * leaves on, in a child process where the storage offers one (its memory
   * goes back to the system when it ends), else in this process.
   */
  #verifyRange(start: number, end: number, roots: ReadonlyMap<number, Uint8Array>): TreeVerification {
    if (end - start >= APART_MIN_LEAVES && this.#storage.verifyTreeApart !== undefined) {
      const t0 = this.#now();
      const apart = this.#storage.verifyTreeApart(start, end, roots);
      if ('verification' in apart) {
        this.#log.info({ leaves: apart.verification.leaves, ms: this.#now() - t0 }, 'start-up check: leaves re-hashed in a child process');
        return apart.verification;
      }
      this.#log.warn({ reason: apart.unavailable }, 'start-up check: no child process, re-hashing the leaves in this process');
    }
    return this.#storage.snapshot(() => verifyTree(this.#storage, start, end, roots));
  }

  /** What the start-up check found (for the start-up log line). */
  startupState: { mode: string; treeSize: number; publishedSize: number | null; guardSize: number | null } = {
    mode: 'empty',
    treeSize: 0,
    publishedSize: null,
    guardSize: null,
  };

  /** The public key of the log's signer. */
  get publicKey(): Uint8Array {
    return this.#signer.publicKey;
  }

  /** The origin line of this log's checkpoints. */
  get origin(): string {
    return treeHeadOriginOfKey(this.#signer.publicKey);
  }

  /** The published cosigned tree head served by get-tree-head, if any. */
  get published(): PublishedTreeHead | undefined {
    return this.#published;
  }

  /** Leaves integrated into the durable tree. */
  get treeSize(): number {
    return this.#frontier.size;
  }

  /** Leaves waiting for integration. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Size of the served tree head (0 before the first). */
  get publishedSize(): number {
    return this.#published?.size ?? 0;
  }

  /**
   * Where a leaf stands: `published` if the served head covers it, `pending`
   * if queued, `integrated` if durable but not yet published, `absent` if
   * unknown. A known leaf was verified when it was first accepted.
   */
  leafState(leafHash: Uint8Array): LeafState {
    const known = this.knownLeafState(leafHash);
    if (known !== undefined) return known;
    const index = this.#storage.leafIndex(leafHash);
    if (index === undefined) return 'absent';
    return index < this.publishedSize ? 'published' : 'integrated';
  }

  /**
   * {@link leafState} without reading storage: the state of a pending leaf or
   * of one of the newest integrated ones, else undefined (look it up).
   */
  knownLeafState(leafHash: Uint8Array): LeafState | undefined {
    if (this.#pending.size > 0 && this.#pending.has(pendingKey(leafHash))) return 'pending';
    const index = this.#recent.indexOf(leafHash);
    if (index === undefined) return undefined;
    return index < this.publishedSize ? 'published' : 'integrated';
  }

  /**
   * {@link leafState} of several leaves, the stored ones looked up in one
   * read transaction (a look-up outside one opens its own, which costs more
   * than the look-up).
   */
  leafStates(leafHashes: readonly Uint8Array[]): LeafState[] {
    if (leafHashes.length === 1) return [this.leafState(leafHashes[0]!)];
    return this.#storage.snapshot(() => leafHashes.map((h) => this.leafState(h)));
  }

  /**
   * Queue a verified leaf; says whether the served head covers it (200) or
   * not yet (202). `known` is what {@link leafState} said about it in the
   * same synchronous step (no await in between), which spares a second look-up.
   */
  submit(rec: LeafRecord, known?: LeafState): SubmitStatus {
    if (known === 'published') return 'published';
    if (known === 'pending' || known === 'integrated') return 'accepted';
    const key = pendingKey(rec.leafHash);
    if (this.#pending.has(key)) return 'accepted';
    const index = known === 'absent' ? undefined : this.#storage.leafIndex(rec.leafHash);
    if (index !== undefined) return index < this.publishedSize ? 'published' : 'accepted';
    if (this.#pending.size >= this.#maxPending) return 'busy';
    this.#pending.set(key, rec);
    this.#scheduleIntegrate();
    return 'accepted';
  }

  /** Start the integrate and publish loops; publishes a first head immediately if none is stored. */
  async start(): Promise<void> {
    this.#running = true;
    await this.#refreshGate();
    if (this.#published === undefined) await this.publishNow();
    this.#schedulePublish();
  }

  #scheduleIntegrate(): void {
    if (!this.#running || this.#integrateTimer !== undefined) return;
    const delay = this.#integrateFailures.failing ? this.#integrateBackoffMs : this.#integrateMs;
    this.#integrateTimer = setTimeout(() => {
      this.#integrateTimer = undefined;
      this.integrateNow();
      void this.#refreshGate();
      if (this.#pending.size > 0) this.#scheduleIntegrate();
    }, delay);
  }

  #schedulePublish(): void {
    if (!this.#running) return;
    this.#publishTimer = setTimeout(() => {
      this.#publishTimer = undefined;
      void this.publishNow().finally(() => this.#schedulePublish());
    }, this.#intervalMs);
  }

  async #refreshGate(): Promise<void> {
    try {
      const allowed = Math.min(await this.#gate(this.#frontier.size), this.#frontier.size);
      if (allowed > this.#gatedSize) this.#gatedSize = allowed;
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'replication gate failed');
    }
  }

  #wakeWaiters(): void {
    const size = this.publishedSize;
    for (const [key, w] of this.#waiters) {
      if (w.index === undefined || w.index >= size) continue;
      this.#waiters.delete(key);
      for (const wake of w.wake) wake(true);
    }
  }

  /**
   * Wait up to `ms` for a submitted leaf to be covered by a published tree
   * head. Lets add-leaf answer 200 without a re-send, at the price of holding
   * the request (and its connection) until the next publication. Resolves
   * false on timeout or shutdown.
   */
  waitPublished(leafHash: Uint8Array, ms: number): Promise<boolean> {
    if (ms <= 0 || !this.#running) return Promise.resolve(false);
    const key = pendingKey(leafHash);
    let w = this.#waiters.get(key);
    if (w === undefined) {
      const index = this.#pending.has(key) ? undefined : this.#storage.leafIndex(leafHash);
      if (index !== undefined && index < this.publishedSize) return Promise.resolve(true);
      w = { index, wake: new Set() };
      this.#waiters.set(key, w);
    }
    const entry = w;
    return new Promise((resolve) => {
      const wake = (ok: boolean): void => {
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => {
        entry.wake.delete(wake);
        if (entry.wake.size === 0 && this.#waiters.get(key) === entry) this.#waiters.delete(key);
        resolve(false);
      }, ms);
      entry.wake.add(wake);
    });
  }

  /** Integrate up to one batch of pending leaves in one durable transaction; returns how many. */
  integrateNow(): number {
    if (this.#pending.size === 0) return 0;
    const batch: LeafRecord[] = [];
    for (const rec of this.#pending.values()) {
      batch.push(rec);
      if (batch.length >= this.#batchSize) break;
    }
    // Work on a copy so a failed commit leaves the in-memory tree untouched.
    const next = CompactRange.restore(this.#frontier.size, borderReader(this.#frontier));
    const nodes = batch.flatMap((r) => next.append(r.leafHash));
    try {
      this.#storage.appendLeaves(batch, nodes);
    } catch (err) {
      // Nothing changed: the leaves stay pending and are retried, less and less often.
      this.#integrateFailures.failed(err, { batch: batch.length });
      this.#integrateBackoffMs = Math.min(MAX_INTEGRATE_BACKOFF_MS, Math.max(2 * this.#integrateMs, 2 * this.#integrateBackoffMs));
      return 0;
    }
    this.#integrateFailures.succeeded();
    this.#integrateBackoffMs = 0;
    const start = this.#frontier.size;
    this.#frontier = next;
    for (let i = 0; i < batch.length; i++) {
      const key = pendingKey(batch[i]!.leafHash);
      this.#pending.delete(key);
      this.#recent.add(batch[i]!.leafHash, start + i);
      const w = this.#waiters.get(key);
      if (w !== undefined) w.index = start + i;
    }
    return batch.length;
  }

  /** Sign, cosign and (if the quorum holds) publish a tree head now. Never rejects. */
  publishNow(): Promise<void> {
    this.#publishing ??= this.#publish().finally(() => {
      this.#publishing = undefined;
    });
    return this.#publishing;
  }

  async #publish(): Promise<void> {
    try {
      this.integrateNow();
      await this.#refreshGate();
      const size = this.#gatedSize;
      const prev = this.#published;
      if (prev !== undefined && size < prev.size) return; // never publish a smaller tree
      if (size < this.#floor) return; // nor one smaller than a head published before a promotion
      const rootHash = size === this.#frontier.size ? this.#frontier.root() : treeRoot(size, this.#storage);
      const sth = await signTreeHead(this.#signer, { size: BigInt(size), rootHash });
      const signature = sth.signature;
      const result = await this.#cosigner.cosign(sth);
      if (!result.quorumMet) {
        this.#log.warn({ size, failures: result.failures.map(describeCosignFailure), cosignatures: result.cosignatures.length }, 'witness quorum not met; keeping the previous tree head');
        return;
      }
      const head: PublishedTreeHead = { size, rootHash, signature, cosignatures: result.cosignatures, publishedAt: this.#now() };
      this.#storage.saveTreeHead(head); // durable before it is served
      this.#publishFailures.succeeded();
      // Outside the database too, so a lost or replaced database is noticed at start-up; not served if this fails.
      if (this.#guardFile !== undefined) writeGuardFile(this.#guardFile, head);
      this.#published = head;
      this.#wakeWaiters();
      if (prev === undefined || prev.size !== size) {
        this.#log.info({ size, root: toHex(rootHash), cosignatures: result.cosignatures.length }, 'published tree head');
      }
    } catch (err) {
      this.#publishFailures.failed(err);
    }
  }

  /** A consistency proof between two integrated sizes (for the cosigning module). */
  consistencyProof(oldSize: number, newSize: number): Uint8Array[] {
    return consistencyProof(oldSize, newSize, this.#storage);
  }

  /** Stop the loops, integrating what is pending one last time; waits for an in-flight publish. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#integrateTimer !== undefined) clearTimeout(this.#integrateTimer);
    if (this.#publishTimer !== undefined) clearTimeout(this.#publishTimer);
    this.#integrateTimer = this.#publishTimer = undefined;
    for (const w of this.#waiters.values()) for (const wake of w.wake) wake(false);
    this.#waiters.clear();
    await this.#publishing;
    while (this.integrateNow() > 0) {
      // drain: every accepted leaf gets its chance to be durable before exit
    }
    await this.#cosigner.close?.();
  }
}
