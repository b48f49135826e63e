/** Hot standby: the primary's replication endpoints and gate, the secondary, promotion checks. */
export * from './protocol.js';
export * from './primary-routes.js';
export * from './gate.js';
export * from './secondary.js';
export * from './promote.js';
