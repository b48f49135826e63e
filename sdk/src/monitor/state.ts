/**
 * Monitor state persisted across restarts: per log, the last tree head seen
 * (for consistency and rollback checks) and how far leaves were processed
 * (with the compact range that lets the monitor resume without refetching).
 * Stored as JSON and replaced atomically.
 */
import { ParseError } from '../errors.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { parseUint63 } from '../encoding/integer.js';
import { atomicWriteFile, fileExists, readTextFile } from '../keys/node/files.js';

/** What the monitor remembers about one log. */
export interface LogState {
  /** Size of the last tree head accepted. */
  size: bigint;
  /** Root hash of the last tree head accepted. */
  rootHash: Uint8Array;
  /** Number of leaves already processed (leaves [0, nextIndex)). */
  nextIndex: bigint;
  /** Border nodes of the compact range over the processed leaves, largest first. */
  range: Uint8Array[];
  /** Unix ms when this tree head (size, root) was first seen. */
  firstSeenMs: number;
}

/** The whole state file. */
export interface MonitorState {
  /** Key hashes (hex) of the watched keys; when they change, leaves are rescanned. */
  keys: string[];
  /** By log key hash (hex). */
  logs: Map<string, LogState>;
}

const VERSION = 1;
/** Largest state file accepted. */
const MAX_STATE_BYTES = 1 << 20;

/** An empty state for `keys`. */
export function emptyState(keys: string[]): MonitorState {
  return { keys: [...keys].sort(), logs: new Map() };
}

/** Serialize a state to JSON text. */
export function serializeState(s: MonitorState): string {
  const logs: Record<string, unknown> = {};
  for (const [k, v] of s.logs) {
    logs[k] = { size: v.size.toString(), root_hash: toHex(v.rootHash), next_index: v.nextIndex.toString(), range: v.range.map(toHex), first_seen_ms: v.firstSeenMs };
  }
  return JSON.stringify({ version: VERSION, keys: s.keys, logs }, null, 1) + '\n';
}

function field<T>(o: Record<string, unknown>, k: string, type: string, where: string): T {
  if (typeof o[k] !== type) throw new ParseError('monitor.state', `missing or invalid ${k}`, where);
  return o[k] as T;
}

/** Parse a state file's text. @throws ParseError `monitor.state`. */
export function parseState(text: string, where = 'state'): MonitorState {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ParseError('monitor.state', `not JSON: ${(e as Error).message}`, where);
  }
  if (typeof j !== 'object' || j === null) throw new ParseError('monitor.state', 'not an object', where);
  const o = j as Record<string, unknown>;
  if (o.version !== VERSION) throw new ParseError('monitor.state', `unsupported version ${JSON.stringify(o.version)}`, where);
  if (!Array.isArray(o.keys) || !o.keys.every((k) => typeof k === 'string' && /^[0-9a-f]{64}$/.test(k))) throw new ParseError('monitor.state', 'invalid keys', where);
  if (typeof o.logs !== 'object' || o.logs === null) throw new ParseError('monitor.state', 'invalid logs', where);
  const logs = new Map<string, LogState>();
  for (const [k, v] of Object.entries(o.logs as Record<string, unknown>)) {
    const w = `${where}: log ${k}`;
    if (!/^[0-9a-f]{64}$/.test(k) || typeof v !== 'object' || v === null) throw new ParseError('monitor.state', 'invalid log entry', w);
    const e = v as Record<string, unknown>;
    const range = e.range;
    if (!Array.isArray(range) || range.length > 64 || !range.every((h) => typeof h === 'string')) throw new ParseError('monitor.state', 'invalid range', w);
    const st: LogState = {
      size: parseUint63(field<string>(e, 'size', 'string', w), `${w} size`),
      rootHash: fromHex(field<string>(e, 'root_hash', 'string', w), `${w} root_hash`, 32),
      nextIndex: parseUint63(field<string>(e, 'next_index', 'string', w), `${w} next_index`),
      range: (range as string[]).map((h, i) => fromHex(h, `${w} range ${i}`, 32)),
      firstSeenMs: field<number>(e, 'first_seen_ms', 'number', w),
    };
    if (st.nextIndex > st.size) throw new ParseError('monitor.state', 'next_index exceeds size', w);
    logs.set(k, st);
  }
  return { keys: (o.keys as string[]).slice().sort(), logs };
}

/** Load the state file, or an empty state if it does not exist. Leaf progress is dropped when the watched keys changed. */
export async function loadState(path: string, keys: string[]): Promise<MonitorState> {
  if (!(await fileExists(path))) return emptyState(keys);
  const s = parseState(await readTextFile(path, MAX_STATE_BYTES), path);
  const want = [...keys].sort();
  if (s.keys.join() !== want.join()) {
    // New keys may have leaves anywhere in the log: rescan leaves, but keep the
    // tree heads so that consistency with what was seen before is still checked.
    for (const l of s.logs.values()) {
      l.nextIndex = 0n;
      l.range = [];
    }
    s.keys = want;
  }
  return s;
}

/** Write the state file atomically (mode 0600: it reveals which keys are watched). */
export function saveState(path: string, s: MonitorState): Promise<void> {
  return atomicWriteFile(path, serializeState(s), 0o600);
}
