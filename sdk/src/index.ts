/**
 * @sigsum-kit/sdk — the entry that runs everywhere (browsers and Node).
 * Nothing reachable from here may import a Node-only module.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './encoding/index.js';
export * from './crypto/index.js';
export * from './merkle/index.js';
export * from './types/index.js';
export * from './note/index.js';
export * from './token/index.js';
export * from './policy/index.js';
export * from './proof/index.js';
export * from './keys/index.js';
export * from './client/index.js';
export * from './tiles/index.js';
