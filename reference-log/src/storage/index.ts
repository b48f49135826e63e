/** Log storage: one interface, two backends (SQLite file, sql.js memory). */
export * from './types.js';
export { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
export { SqlStorage, type SqlDriver, type SqlStorageOptions, type SqlValue } from './sql-storage.js';
export { openSqliteStorage, SqliteStorage, type SqliteOpenOptions } from './sqlite.js';
export { openMemoryStorage } from './memory.js';
export { verifyTree, type TreeDamage, type TreeVerification } from './verify.js';
export { verifyTreeApart, type ApartVerification } from './verify-apart.js';
export { readGuardFile, writeGuardFile, type GuardHead } from './guard.js';
export { checkStorage, type CheckReport } from './check.js';
