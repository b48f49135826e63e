/**
 * Opening the signing key of a log, secondary or witness: a key file, a
 * public key file with the private half in ssh-agent, or a `pkcs11:` URI
 * naming a key in a token. With a public key file configured, the key must
 * be that key, so that a token holding another key refuses to start.
 */
import { bytesEqual, toHex, type Signer } from '@sigsum-kit/sdk';
import { isPkcs11Uri, loadSigningKey, readPublicKeyFile } from '@sigsum-kit/sdk/node';
import { ConfigError } from '../errors.js';
import { openTokenSigner } from '../token-signer.js';

/** Options of {@link openSigningKey}. */
export interface SigningKeyOptions {
  /** Time allowed for one signature by a `pkcs11:` token, ms (default 10 s; docs/operations.md). */
  signTimeoutMs?: number;
}

/**
 * Open `keyFile`, check it against `publicKeyFile` (required for a token key)
 * and pass warnings (e.g. an extractable token key) to `warn`. A token key
 * is driven from a worker thread with a time limit per signature
 * (token-signer.ts), so that a hung token cannot freeze the process.
 * @param what the configuration key or flag naming `publicKeyFile`, for messages.
 */
export async function openSigningKey(keyFile: string, publicKeyFile: string, what: string, warn: (message: string) => void, opts: SigningKeyOptions = {}): Promise<Signer> {
  if (isPkcs11Uri(keyFile) && publicKeyFile === '') {
    throw new ConfigError(`${what}: required with a pkcs11: key (the public key the token must hold, as written by init)`);
  }
  const expected = publicKeyFile === '' ? undefined : (await readPublicKeyFile(publicKeyFile)).publicKey;
  let signer: Signer;
  let warnings: readonly string[];
  if (isPkcs11Uri(keyFile)) {
    const token = await openTokenSigner(keyFile, { expectedPublicKey: expected, signTimeoutMs: opts.signTimeoutMs });
    signer = token;
    warnings = token.warnings;
  } else {
    const key = await loadSigningKey(keyFile, {}, expected === undefined ? {} : { expectedPublicKey: expected });
    signer = key.signer;
    warnings = key.warnings;
  }
  if (expected !== undefined && !bytesEqual(signer.publicKey, expected)) {
    throw new ConfigError(`${what}: the signing key ${toHex(signer.publicKey)} is not the configured public key ${toHex(expected)}`);
  }
  for (const w of warnings) warn(w);
  return signer;
}
