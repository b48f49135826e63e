/**
 * The tlog-tiles resources of a log, computed from its storage: tiles are
 * stored perfect-subtree nodes (level-0 tiles are leaf hashes, level-L tiles
 * the nodes at Merkle level 8·L), entry bundles are the stored 128-byte
 * leaves, and the checkpoint is the published cosigned tree head as a signed
 * note. The server and the static export both use these, so they serve the
 * same bytes.
 */
import { TILE_HEIGHT, TILE_WIDTH, formatCosignedCheckpoint, serializeEntryBundle, serializeTileHashes, type TileRef } from '@sigsum-kit/sdk';
import type { PublishedTreeHead, Storage } from '../storage/types.js';

/** Cache-Control of full tiles and full entry bundles: they never change. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Cache-Control of partial tiles and bundles (a full one replaces them). */
export const PARTIAL_CACHE_CONTROL = 'public, max-age=60';
/** Cache-Control of the checkpoint (it moves with every published head). */
export const CHECKPOINT_CACHE_CONTROL = 'public, max-age=2';

/** Body of a tile or entry bundle; the caller has checked that it exists under the published size. */
export function tileBody(storage: Storage, t: TileRef): Uint8Array {
  const first = t.index * TILE_WIDTH;
  if (t.entries) return serializeEntryBundle(storage.getLeaves(first, first + t.width));
  const level = t.level * TILE_HEIGHT;
  const hashes: Uint8Array[] = new Array(t.width);
  for (let i = 0; i < t.width; i++) hashes[i] = storage.getNode(level, first + i);
  return serializeTileHashes(hashes);
}

/** The checkpoint note of a published head (cosignatures of unknown witness keys are left out). */
export function checkpointNote(head: PublishedTreeHead, logPublicKey: Uint8Array, witnessKeys: readonly Uint8Array[]): string {
  return formatCosignedCheckpoint({ ...head, size: BigInt(head.size) }, logPublicKey, witnessKeys).note;
}
