/**
 * Key files on disk (Node): read public keys and signing keys, generate key
 * pairs. Formats are those of `keys/openssh.ts`; this module adds the file
 * I/O, 0600 permissions for private keys, and the ssh-agent fallback for a
 * signing key given as a public key file.
 */
import type { Signer } from '../../crypto/ed25519.js';
import { SeedSigner } from '../../crypto/seed-signer.js';
import {
  DEFAULT_KEY_COMMENT,
  MAX_KEY_FILE_SIZE,
  formatOpenSshPublicKey,
  parseOpenSshPublicKey,
  parseOpenSshPublicKeys,
  type OpenSshPublicKey,
} from '../openssh.js';
import { formatOpenSshPrivateKey, parsePrivateKeyFile } from '../openssh-private.js';
import { SshAgentSigner, type AgentOptions } from './agent.js';
import { isPkcs11Uri } from '../pkcs11-uri.js';
import type { Pkcs11Options } from './pkcs11.js';
import { atomicWriteFile, readTextFile } from './files.js';

/**
 * Read a file holding one OpenSSH Ed25519 public key line (optionally with
 * `sigsum-policy="…"`).
 */
export async function readPublicKeyFile(path: string): Promise<OpenSshPublicKey> {
  const text = await readTextFile(path, MAX_KEY_FILE_SIZE);
  // One key per file: surrounding whitespace and the final newline are not part of the line.
  return parseOpenSshPublicKey(text.trim(), path);
}

/** Read a file of public keys, one per line; `#` comments and empty lines are skipped. */
export async function readPublicKeysFile(path: string): Promise<OpenSshPublicKey[]> {
  return parseOpenSshPublicKeys(await readTextFile(path, MAX_KEY_FILE_SIZE), path);
}

/** A signing key loaded from a file. */
export interface SigningKey {
  /** Signs in memory, or through ssh-agent. */
  signer: Signer;
  /** `sigsum-policy="…"` of a public key file (agent keys only; private key files carry none). */
  policyName: string | undefined;
  /** Where the private key is. */
  source: 'file' | 'agent' | 'pkcs11';
  /** Problems worth telling the operator (e.g. a token key that is extractable). */
  warnings: readonly string[];
}

/**
 * Load a signing key from a file, as sigsum-go's tools do: an unencrypted
 * OpenSSH private key (or 64 hex digits) signs in memory; a public key file
 * means the private half is in the ssh-agent at `$SSH_AUTH_SOCK`. A
 * `pkcs11:` URI (RFC 7512) instead of a path names a key in a PKCS#11 token;
 * the native binding is imported only then.
 * @param pkcs11 options for a `pkcs11:` key (the key the token must hold, the PIN environment).
 */
export async function loadSigningKey(path: string, agent: AgentOptions = {}, pkcs11: Pkcs11Options = {}): Promise<SigningKey> {
  if (isPkcs11Uri(path)) {
    const { Pkcs11Signer } = await import('./pkcs11.js');
    const signer = await Pkcs11Signer.open(path, pkcs11);
    return { signer, policyName: undefined, source: 'pkcs11', warnings: signer.warnings };
  }
  const parsed = parsePrivateKeyFile(await readTextFile(path, MAX_KEY_FILE_SIZE), path);
  if (parsed.kind === 'public') {
    return { signer: await SshAgentSigner.connect(parsed.key.publicKey, agent), policyName: parsed.key.policyName, source: 'agent', warnings: [] };
  }
  return { signer: new SeedSigner(parsed.key.seed), policyName: undefined, source: 'file', warnings: [] };
}

/** {@link loadSigningKey}, returning only the signer. */
export async function loadSigner(path: string, agent: AgentOptions = {}): Promise<Signer> {
  return (await loadSigningKey(path, agent)).signer;
}

/** Result of {@link generateKeyFiles}. */
export interface GeneratedKey {
  /** The new raw public key. */
  publicKey: Uint8Array;
  /** Path of the private key file (mode 0600). */
  privateKeyPath: string;
  /** Path of the public key file (`<path>.pub`). */
  publicKeyPath: string;
}

/**
 * Generate an Ed25519 key pair like `sigsum-key generate -o PATH` (and
 * `ssh-keygen -q -N '' -t ed25519 -f PATH`): the private key goes to `path`
 * with mode 0600, the public key to `path.pub`. Both writes are atomic.
 * @param seed a given seed instead of a random one (tests, key import).
 */
export async function generateKeyFiles(path: string, seed?: Uint8Array): Promise<GeneratedKey> {
  const signer = seed === undefined ? SeedSigner.generate() : new SeedSigner(seed);
  const checkInt = crypto.getRandomValues(new Uint8Array(4));
  const privateText = formatOpenSshPrivateKey(signer.exportSeed(), checkInt);
  await atomicWriteFile(path, privateText, 0o600);
  const publicKeyPath = `${path}.pub`;
  await atomicWriteFile(publicKeyPath, formatOpenSshPublicKey(signer.publicKey, { comment: DEFAULT_KEY_COMMENT }), 0o644);
  return { publicKey: signer.publicKey, privateKeyPath: path, publicKeyPath };
}
