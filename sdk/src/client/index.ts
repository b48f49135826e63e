/**
 * Talking to logs: the HTTP layer, the log client and submission.
 * Isomorphic; Node extras are in `client/node.ts`.
 */
export * from './http.js';
export * from './log.js';
export * from './submit.js';
export * from './witness.js';
