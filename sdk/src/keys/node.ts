/**
 * Node-only key handling: key files on disk and keys behind ssh-agent.
 * @packageDocumentation
 */
export * from './node/agent.js';
export * from './node/files.js';
export * from './node/keyfiles.js';
