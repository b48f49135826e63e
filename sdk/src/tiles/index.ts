/**
 * C2SP tlog-tiles for the Sigsum log: resource paths and coordinates, tile
 * and entry-bundle bodies, the cosigned checkpoint note, a verifying tiled
 * tree and an HTTP client.
 */
export * from './path.js';
export * from './coords.js';
export * from './encoding.js';
export * from './checkpoint.js';
export * from './tree.js';
export * from './client.js';
export * from './log-source.js';
