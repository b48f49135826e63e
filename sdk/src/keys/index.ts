/**
 * Key formats (pure): OpenSSH Ed25519 public keys (with the `sigsum-policy`
 * option), unencrypted OpenSSH private keys, raw hex keys. File I/O and
 * ssh-agent live in `keys/node.ts`.
 */
export * from './openssh.js';
export * from './openssh-private.js';
