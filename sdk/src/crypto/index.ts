export * from './sha256.js';
export * from './ed25519.js';
export * from './ed25519-native.js';
export * from './ed25519-noble.js';
export * from './seed-signer.js';
export * from './namespace.js';
export * from './keyhash.js';
