/**
 * The reference witness: C2SP tlog-witness `add-checkpoint` for Sigsum logs.
 * `core.ts` is the pure decision logic; `server.ts` the Fastify server;
 * `state.ts` the SQLite state.
 */
export * from './core.js';
export * from './state.js';
export * from './server.js';
export * from './config.js';
