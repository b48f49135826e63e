/**
 * Node-only additions to the client. The log client and submit are fully
 * isomorphic; what they need from Node — signing keys from files or
 * ssh-agent — is in `keys/node.ts`, and the monitor in `monitor/`.
 * @packageDocumentation
 */
export {};
