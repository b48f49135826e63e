/**
 * @sigsum-kit/reference-log — the Sigsum v1 reference log: storage,
 * sequencer, HTTP server, and `startLog` for programmatic use.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './storage/index.js';
export * from './sequencer/index.js';
export * from './server/index.js';
export * from './log.js';
export * from './cli/config.js';
export * from './metrics/index.js';
export * from './ratelimit/index.js';
export * from './tiles/index.js';
export { createVerifyPool, defaultVerifyWorkers, type VerifyPool, type VerifyPoolOptions, type WorkerExit } from './crypto/verify-pool.js';
