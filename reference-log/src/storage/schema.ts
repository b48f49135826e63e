/**
 * The SQL schema shared by both backends. Leaves are keyed by index with a
 * unique leaf-hash index (deduplication and inclusion look-ups); only
 * interior perfect nodes live in `nodes` (level-0 hashes are the leaves'
 * `leaf_hash`), which is what O(log n) proofs need.
 */

/** Bumped on incompatible changes; checked at open. */
export const SCHEMA_VERSION = 1;

/** Statements that create the schema (idempotent). */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS leaves (
  idx       INTEGER PRIMARY KEY,
  leaf_hash BLOB NOT NULL UNIQUE,
  leaf      BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tree_heads (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  size         INTEGER NOT NULL,
  root_hash    BLOB NOT NULL,
  signature    BLOB NOT NULL,
  cosignatures TEXT NOT NULL,
  published_at INTEGER NOT NULL
);
`;

/** Meta keys. */
export const META = {
  schemaVersion: 'schema_version',
  treeSize: 'tree_size',
  startupMode: 'startup_mode',
  logPublicKey: 'log_public_key',
} as const;
