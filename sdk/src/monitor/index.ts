/**
 * The log monitor (Node): follows the logs of a policy and reports the
 * leaves of watched keys and every inconsistency.
 */
export * from './monitor.js';
export * from './state.js';
