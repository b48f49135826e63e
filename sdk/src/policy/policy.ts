/**
 * Sigsum trust policies: the text format of sigsum-go `policy.ParseConfig`
 * (with the 2025 stricter rules) and k-of-n quorum evaluation.
 *
 * ```
 * log <hex public key> [url]
 * witness <name> <hex public key> [url]
 * group <name> all|any|<k> <member>...
 * quorum <name>
 * ```
 */
import { ParseError } from '../errors.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { digest, syncSha256 } from '../crypto/digest.js';
import { PUBLIC_KEY_SIZE } from '../crypto/ed25519.js';

/** The predefined empty group: `quorum none` requires no cosignatures. */
export const QUORUM_NONE = 'none';
/** Largest policy file accepted (bytes). Real policies are a few KiB. */
export const MAX_POLICY_SIZE = 1 << 20;
/** Longest line accepted, as Go's bufio.Scanner (64 KiB including the newline). */
export const MAX_POLICY_LINE = 64 * 1024 - 1;

/** A log trusted by the policy. */
export interface PolicyLog {
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** SHA-256 of the public key (computed on first use; see {@link Policy.hashKeys} for browsers). */
  readonly keyHash: Uint8Array;
  /** Lowercase hex of {@link PolicyLog.keyHash}. */
  readonly keyHashHex: string;
  /** Base URL, if the policy gives one. */
  readonly url: string | undefined;
  /** Line of the policy that defined it. */
  readonly line: number;
}

/** A witness named by the policy. */
export interface PolicyWitness {
  /** Name as written (non-UTF-8 bytes replaced by U+FFFD for display). */
  readonly name: string;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** SHA-256 of the public key (matches `cosignature=` lines; computed on first use, see {@link Policy.hashKeys}). */
  readonly keyHash: Uint8Array;
  /** Lowercase hex of {@link PolicyWitness.keyHash}. */
  readonly keyHashHex: string;
  /** Base URL, if the policy gives one. */
  readonly url: string | undefined;
  /** Line of the policy that defined it. */
  readonly line: number;
}

/** A node of the quorum tree: a witness, or a k-of-n group of nodes. */
export type QuorumNode =
  | {
      /** A single witness. */
      readonly kind: 'witness';
      /** Its name in the policy. */
      readonly name: string;
      /** The witness. */
      readonly witness: PolicyWitness;
    }
  | {
      /** A group: satisfied when `threshold` of its members are. */
      readonly kind: 'group';
      /** Its name in the policy. */
      readonly name: string;
      /** How many members must be satisfied. */
      readonly threshold: number;
      /** Witnesses and groups. */
      readonly members: readonly QuorumNode[];
    };

/** The set of verified witnesses, as key hashes (bytes or lowercase/uppercase hex). */
export type KeyHashSet = Iterable<Uint8Array | string>;

/** A parsed policy; immutable and reusable across any number of verifications. */
export class Policy {
  /** Logs in file order. */
  readonly logs: readonly PolicyLog[];
  /** Witnesses in file order. */
  readonly witnesses: readonly PolicyWitness[];
  /** The quorum tree (`none` is a group with threshold 0 and no members). */
  readonly quorum: QuorumNode;
  #byKeyHash: { logs: Map<string, PolicyLog>; witnesses: Map<string, PolicyWitness> } | undefined;
  #hashed: Promise<void> | undefined;

  /** @internal Use {@link parsePolicy}. */
  constructor(logs: PolicyLog[], witnesses: PolicyWitness[], quorum: QuorumNode) {
    this.logs = logs;
    this.witnesses = witnesses;
    this.quorum = quorum;
  }

  /**
   * Compute the key hashes of every log and witness, asynchronously where the
   * runtime has no synchronous SHA-256. Only needed in a browser bundle that
   * does not use the SDK's synchronous `sha256`, before reading `keyHash`,
   * `keyHashHex`, {@link Policy.findLog}, {@link Policy.findWitness} or
   * {@link Policy.quorumHolds} directly; `verifyProof` and
   * `verifyCosignedTreeHead` call it themselves. Elsewhere (Node, or with
   * `sha256` bundled) the hashes are computed on first use.
   */
  hashKeys(): Promise<void> {
    // A failure (the pure-JS hash's chunk did not load) is not kept: the next call tries again.
    this.#hashed ??= Promise.all([...this.logs, ...this.witnesses].map(hashEntry)).then(
      () => undefined,
      (e: unknown) => {
        this.#hashed = undefined;
        throw e;
      },
    );
    return this.#hashed;
  }

  #lookup(): { logs: Map<string, PolicyLog>; witnesses: Map<string, PolicyWitness> } {
    this.#byKeyHash ??= {
      logs: new Map(this.logs.map((l) => [l.keyHashHex, l])),
      witnesses: new Map(this.witnesses.map((w) => [w.keyHashHex, w])),
    };
    return this.#byKeyHash;
  }

  /** The log with this key hash, if the policy trusts it. */
  findLog(logKeyHash: Uint8Array | string): PolicyLog | undefined {
    return this.#lookup().logs.get(hexKey(logKeyHash));
  }

  /** The witness with this key hash, if the policy names it. */
  findWitness(witnessKeyHash: Uint8Array | string): PolicyWitness | undefined {
    return this.#lookup().witnesses.get(hexKey(witnessKeyHash));
  }

  /**
   * Whether the quorum holds when exactly the witnesses in `verified` gave
   * valid cosignatures (k-of-n evaluation of the quorum tree; key hashes not
   * in the policy are ignored).
   */
  quorumHolds(verified: KeyHashSet): boolean {
    const set = new Set<string>();
    for (const k of verified) set.add(hexKey(k));
    return evaluate(this.quorum, set);
  }
}

// Key hashes of the policies' logs and witnesses (and their hex), by entry, once computed.
const keyHashes = new WeakMap<object, [Uint8Array, string]>();

function knownKeyHash(e: { publicKey: Uint8Array }): [Uint8Array, string] {
  let h = keyHashes.get(e);
  if (h === undefined) {
    const sha = syncSha256();
    if (sha === undefined) throw new Error('no synchronous SHA-256 in this bundle: await policy.hashKeys() first (or use the SDK\'s sha256)');
    h = [sha(e.publicKey), ''];
    h[1] = toHex(h[0]);
    keyHashes.set(e, h);
  }
  return h;
}

async function hashEntry(e: { publicKey: Uint8Array }): Promise<void> {
  if (keyHashes.has(e)) return;
  const kh = await digest(e.publicKey);
  keyHashes.set(e, [kh, toHex(kh)]);
}

/** `e` with its `keyHash` and `keyHashHex` as enumerable properties computed on first read. */
function withKeyHash<T extends { publicKey: Uint8Array }>(e: T): T & { readonly keyHash: Uint8Array; readonly keyHashHex: string } {
  return Object.defineProperties(e, {
    keyHash: { enumerable: true, get: () => knownKeyHash(e)[0] },
    keyHashHex: { enumerable: true, get: () => knownKeyHash(e)[1] },
  }) as T & { readonly keyHash: Uint8Array; readonly keyHashHex: string };
}

function evaluate(node: QuorumNode, verified: ReadonlySet<string>): boolean {
  if (node.kind === 'witness') return verified.has(node.witness.keyHashHex);
  let n = 0;
  for (const m of node.members) if (evaluate(m, verified)) n++;
  return n >= node.threshold;
}

function hexKey(k: Uint8Array | string): string {
  return typeof k === 'string' ? k.toLowerCase() : toHex(k);
}

const utf8Lenient = new TextDecoder('utf-8');

/** Display form of a name that was read one char per byte: its bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
function displayName(raw: string): string {
  if (/^[\x00-\x7f]*$/.test(raw)) return raw;
  return utf8Lenient.decode(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
}

/** Mutable state while a policy is read. */
interface Builder {
  names: Map<string, QuorumNode>;
  /** Names already used as a member (value: parent group), plus `none`, which can never be one. */
  used: Map<string, string>;
  logs: PolicyLog[];
  /** Public keys (hex) of the logs so far. */
  logKeys: Set<string>;
  witnesses: PolicyWitness[];
  /** Public keys (hex) of the witnesses so far. */
  witnessKeys: Set<string>;
  quorum: QuorumNode | undefined;
  /** Names and URLs as shown to users (decodes UTF-8 when the text was read byte by byte). */
  display: (s: string) => string;
}

function fail(code: string, message: string, line: number): never {
  throw new ParseError(code, message, `line ${line}`);
}

function publicKeyField(s: string, line: number, what: string): Uint8Array {
  return fromHex(s, `line ${line} (${what})`, PUBLIC_KEY_SIZE);
}

function urlField(b: Builder, s: string | undefined): string | undefined {
  return s === undefined ? undefined : b.display(s);
}

// Go's strconv.Atoi in base 10: optional sign, decimal digits, leading zeros allowed.
const ATOI = /^[+-]?[0-9]+$/;

function parseLine(b: Builder, fields: string[], line: number): void {
  const [keyword, ...args] = fields as [string, ...string[]];
  switch (keyword) {
    case 'log': {
      if (args.length < 1 || args.length > 2) fail('policy.arguments', 'log line: want <key> [url]', line);
      const publicKey = publicKeyField(args[0]!, line, 'log key');
      // Equal keys ⇔ equal key hashes: compare the keys, hash later.
      const hex = toHex(publicKey);
      if (b.logKeys.has(hex)) fail('policy.duplicate-log', `duplicate log key ${hex}`, line);
      b.logKeys.add(hex);
      b.logs.push(withKeyHash({ publicKey, url: urlField(b, args[1]), line }));
      return;
    }
    case 'witness': {
      if (args.length < 2 || args.length > 3) fail('policy.arguments', 'witness line: want <name> <key> [url]', line);
      const name = args[0]!;
      const publicKey = publicKeyField(args[1]!, line, 'witness key');
      if (b.names.has(name)) fail('policy.duplicate-name', `duplicate name ${JSON.stringify(b.display(name))}`, line);
      const hex = toHex(publicKey);
      if (b.witnessKeys.has(hex)) fail('policy.duplicate-witness', `duplicate witness key ${hex}`, line);
      b.witnessKeys.add(hex);
      const witness: PolicyWitness = withKeyHash({ name: b.display(name), publicKey, url: urlField(b, args[2]), line });
      b.witnesses.push(witness);
      b.names.set(name, { kind: 'witness', name: witness.name, witness });
      return;
    }
    case 'group': {
      if (args.length < 3) fail('policy.arguments', 'group line: want <name> <threshold> <member>...', line);
      const name = args[0]!;
      const memberNames = args.slice(2);
      const n = memberNames.length;
      const t = args[1]!;
      let threshold: number;
      if (t === 'any') threshold = 1;
      else if (t === 'all') threshold = n;
      else if (ATOI.test(t)) {
        // Anything beyond 15 digits is out of range for any group; keep it out of Number's exactness issues.
        const digits = t.replace(/^[+-]/, '').replace(/^0+(?=.)/, '');
        threshold = digits.length > 15 ? Infinity : Number(t);
      } else fail('policy.threshold', `invalid threshold ${JSON.stringify(b.display(t))}: want all, any or a number`, line);
      if (!(threshold >= 1 && threshold <= n)) fail('policy.threshold', `threshold ${b.display(t)} out of range 1..${n}`, line);
      if (b.names.has(name)) fail('policy.duplicate-name', `duplicate name ${JSON.stringify(b.display(name))}`, line);
      const members: QuorumNode[] = [];
      for (const m of memberNames) {
        const parent = b.used.get(m);
        if (parent !== undefined) {
          if (parent === '') fail('policy.member', `${JSON.stringify(b.display(m))} cannot be a group member`, line);
          fail('policy.member', `${JSON.stringify(b.display(m))} is already a member of ${JSON.stringify(b.display(parent))}`, line);
        }
        const node = b.names.get(m);
        if (node === undefined) fail('policy.undefined', `undefined name ${JSON.stringify(b.display(m))}`, line);
        b.used.set(m, name);
        members.push(node);
      }
      b.names.set(name, { kind: 'group', name: b.display(name), threshold, members });
      return;
    }
    case 'quorum': {
      if (args.length !== 1) fail('policy.arguments', 'quorum line: want exactly one name', line);
      if (b.quorum !== undefined) fail('policy.quorum-twice', 'quorum can only be set once', line);
      const node = b.names.get(args[0]!);
      if (node === undefined) fail('policy.undefined', `undefined name ${JSON.stringify(b.display(args[0]!))}`, line);
      b.quorum = node;
      return;
    }
    default:
      fail('policy.keyword', `unknown keyword ${JSON.stringify(b.display(keyword))}`, line);
  }
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The bytes of the policy and the text to parse. Valid UTF-8 (every real
 * policy) is parsed as a string: on text the byte-level rules are the same
 * rules (every non-ASCII char is ≥ 0x80; names compare equal iff their bytes
 * do). Invalid UTF-8 is parsed one char per byte (`raw`), so that no byte is
 * rejected or merged by decoding, as in Go.
 */
function policyText(text: string | Uint8Array): { bytes: Uint8Array; s: string; raw: boolean } {
  // UTF-8 is never shorter than the UTF-16 length: refuse huge strings before encoding them.
  const n = text.length;
  const bytes = typeof text === 'string' && n <= MAX_POLICY_SIZE ? new TextEncoder().encode(text) : text;
  if (n > MAX_POLICY_SIZE || bytes.length > MAX_POLICY_SIZE) {
    throw new ParseError('policy.size', `policy of ${bytes.length} bytes exceeds the limit of ${MAX_POLICY_SIZE}`);
  }
  const b = bytes as Uint8Array;
  try {
    return { bytes: b, s: utf8Strict.decode(b), raw: false };
  } catch {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
    return { bytes: b, s, raw: true };
  }
}

/**
 * Parse a policy file. Rules (sigsum-go `policy.ParseConfig`):
 * fields are separated by SP/TAB only; a line whose first field starts with
 * `#` is a comment (a `#` later on a line is an ordinary field); LF ends a
 * line and one CR before it is dropped; any other byte below 0x20 or 0x7F is
 * an error; bytes ≥ 0x80 are opaque; names must be defined before use; each
 * name is a member of at most one group; `none` is predefined, and cannot be
 * redefined or be a member; exactly one `quorum` line; no duplicate log or
 * witness keys; thresholds are `any`, `all` or a decimal with optional sign
 * and leading zeros (Go's `strconv.Atoi`) in 1..n.
 *
 * @param text the file, as text or as raw bytes (bytes are not decoded, so
 *   invalid UTF-8 in comments or names is accepted as Go does).
 * @throws ParseError with `where` = `line N` (or no `where` for a missing quorum).
 */
export function parsePolicy(text: string | Uint8Array): Policy {
  if (typeof text !== 'string' && !(text instanceof Uint8Array)) throw new TypeError('policy must be a string or Uint8Array');
  const { bytes, s, raw } = policyText(text);
  const b: Builder = {
    names: new Map([[QUORUM_NONE, { kind: 'group', name: QUORUM_NONE, threshold: 0, members: [] }]]),
    used: new Map([[QUORUM_NONE, '']]),
    logs: [],
    logKeys: new Set(),
    witnesses: [],
    witnessKeys: new Set(),
    quorum: undefined,
    display: raw ? displayName : (n) => n,
  };
  let start = 0;
  let byteStart = 0;
  for (let lineNo = 1; start < s.length; lineNo++) {
    const nl = s.indexOf('\n', start);
    const end = nl < 0 ? s.length : nl;
    // Line lengths count bytes: LF is one byte in both, so lines match up.
    const byteEnd = nl < 0 ? bytes.length : bytes.indexOf(10, byteStart);
    if (byteEnd - byteStart > MAX_POLICY_LINE) fail('policy.line-too-long', `line longer than ${MAX_POLICY_LINE} bytes`, lineNo);
    byteStart = byteEnd + 1;
    let line = s.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
        fail('policy.control', `invalid control character 0x${c.toString(16).padStart(2, '0')} at column ${i + 1}`, lineNo);
      }
    }
    const fields = line.split(/[ \t]+/).filter((f) => f !== '');
    if (fields.length === 0 || fields[0]!.startsWith('#')) continue;
    parseLine(b, fields, lineNo);
  }
  if (b.quorum === undefined) throw new ParseError('policy.no-quorum', 'no quorum defined');
  return new Policy(b.logs, b.witnesses, b.quorum);
}

/**
 * A policy trusting `logs` and requiring `k` of `witnesses` (sigsum-go
 * `NewKofNPolicy`): witnesses are named `w0`, `w1`, ... in a group `g`; with
 * no witnesses the quorum is `none` (k must then be 0).
 * @throws ParseError for k outside 1..n (0 with no witnesses), a key that is
 *   not 32 bytes, or duplicate keys.
 */
export function kOfNPolicy(logs: readonly Uint8Array[], witnesses: readonly Uint8Array[], k: number): Policy {
  const hex = (key: Uint8Array) => {
    if (!(key instanceof Uint8Array) || key.length !== PUBLIC_KEY_SIZE) throw new ParseError('policy.key-size', `public keys must be ${PUBLIC_KEY_SIZE} bytes`);
    return toHex(key);
  };
  if (witnesses.length === 0 && k !== 0) throw new ParseError('policy.threshold', `k = ${k} needs witnesses`);
  let text = logs.map((l) => `log ${hex(l)}\n`).join('') + witnesses.map((w, i) => `witness w${i} ${hex(w)}\n`).join('');
  text += witnesses.length === 0 ? 'quorum none\n' : `group g ${k} ${witnesses.map((_, i) => `w${i}`).join(' ')}\nquorum g\n`;
  return parsePolicy(text);
}
