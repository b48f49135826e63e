/**
 * Node-only key handling: key files on disk, keys behind ssh-agent, keys in a
 * PKCS#11 token (the native binding is loaded only when a `pkcs11:` key is used).
 * @packageDocumentation
 */
export * from './node/agent.js';
export * from './node/files.js';
export * from './node/keyfiles.js';
export * from './node/pkcs11.js';
export * from './pkcs11-uri.js';
