/**
 * The two ways the explore page reads a log: the Sigsum v1 API (the log
 * process answers every request) and tlog-tiles (static files, from the log
 * or from any web server or CDN holding its export). Both give the page the
 * same things: leaves, an inclusion path, a consistency path.
 */
import {
  HttpError, NetworkError, ParseError, TilesClient, VerificationError, fromHex, leafFromBytes,
  type CosignedTreeHead, type Leaf, type Policy, type PolicyLog,
} from '@sigsum-kit/sdk';
import { logClient } from './log.js';

/** What the explore page reads from a log. */
export interface LogReader {
  /** Who computed the inclusion proofs, for the page's sentences ("the log's", "the tiles'"). */
  readonly proofSource: string;
  /** The current tree head (unverified for the v1 API; the page checks it against the policy). */
  treeHead(): Promise<CosignedTreeHead>;
  /** Leaves `[start, end)`. */
  leaves(start: bigint, end: bigint): Promise<Leaf[]>;
  /** Inclusion proof of leaf `index` (hash `leafHash`) in the tree of `size` leaves. */
  inclusionPath(index: number, size: bigint, leafHash: Uint8Array): Promise<readonly Uint8Array[]>;
  /** Consistency proof from `oldSize` to `newSize`. */
  consistencyPath(oldSize: bigint, newSize: bigint): Promise<readonly Uint8Array[]>;
}

/** A reader of the v1 API at `base`. */
export function readThroughV1(base: string): LogReader {
  const client = logClient(base);
  return {
    proofSource: "the log's",
    treeHead: () => client.getTreeHead(),
    leaves: async (start, end) => {
      // get-leaves may return fewer leaves than asked: keep asking until the range is complete.
      const out: Leaf[] = [];
      for (let i = start; i < end;) {
        const got = await client.getLeaves(i, end);
        out.push(...got);
        i += BigInt(got.length);
      }
      return out;
    },
    inclusionPath: async (_index, size, leafHash) => (await client.getInclusionProof(size, leafHash)).path,
    consistencyPath: async (oldSize, newSize) => (await client.getConsistencyProof(oldSize, newSize)).path,
  };
}

/**
 * Read the log through the tiles at `base`: fetch the checkpoint and verify
 * it under `policy` (the SDK's TilesClient); every later read is verified
 * against its root.
 */
export async function readThroughTiles(base: string, policy: Policy): Promise<{ reader: LogReader; treeHead: CosignedTreeHead; log: PolicyLog }> {
  // One retry, as for the v1 API: a person is waiting.
  const client = new TilesClient({ url: base, policy, retries: 1, backoffMs: 200, timeoutMs: 10_000 });
  const cp = await client.checkpoint();
  // The checkpoint passed the policy, so its origin names one of the policy's logs.
  const origin = cp.note.slice(0, cp.note.indexOf('\n'));
  const log = policy.findLog(fromHex(origin.slice(origin.lastIndexOf('/') + 1), 'origin key hash', 32))!;
  const tree = cp.tree;
  const reader: LogReader = {
    proofSource: "the tiles'",
    treeHead: () => Promise.resolve(cp.treeHead),
    leaves: async (start, end) => (await tree.entries(Number(start), Number(end))).map(leafFromBytes),
    inclusionPath: (index, size) => tree.inclusionProof(index, Number(size)),
    consistencyPath: (oldSize, newSize) => tree.consistencyProof(Number(oldSize), Number(newSize)),
  };
  return { reader, treeHead: cp.treeHead, log };
}

/**
 * Plain-language text for a failed read through tiles: a verification
 * failure says the server sent data that does not match what the log signed
 * (with the SDK's precise message and code); the rest as for the v1 API.
 */
export function tilesErrorText(e: unknown, url: string): string {
  if (e instanceof VerificationError) {
    return `the tile server at ${url} sent data that does not match the log's signed checkpoint: ${e.message} [${e.code}]`;
  }
  if (e instanceof ParseError) return `the tile server at ${url} sent a malformed answer: ${e.message} [${e.code}]`;
  if (e instanceof HttpError) return `the tile server at ${url} answered HTTP ${e.status} (${e.url})`;
  if (e instanceof NetworkError && e.code === 'http.network') {
    return `cannot reach the tile server at ${url}: it is not running, the address is wrong, or it does not allow requests from this page (CORS). ` +
      `Open ${url}checkpoint in a new tab: if that works, its CORS settings block this page.`;
  }
  if (e instanceof NetworkError) return `the tile server at ${url} did not answer in time (${e.url})`;
  return `tiles ${url}: ${e instanceof Error ? e.message : String(e)}`;
}
