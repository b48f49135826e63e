/** Log storage: one interface, two backends (SQLite file, sql.js memory). */
export * from './types.js';
export { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
export { SqlStorage, type SqlDriver, type SqlValue } from './sql-storage.js';
export { openSqliteStorage } from './sqlite.js';
export { openMemoryStorage } from './memory.js';
