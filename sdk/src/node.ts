/**
 * @sigsum-kit/sdk/node — Node-only additions: key files, ssh-agent, the monitor.
 * Re-exports everything of the isomorphic entry too.
 * @packageDocumentation
 */
export * from './index.js';
export * from './keys/node.js';
export * from './client/node.js';
export * from './monitor/index.js';
