/**
 * Opening the signing key of a log, secondary or witness: a key file, a
 * public key file with the private half in ssh-agent, or a `pkcs11:` URI
 * naming a key in a token. With a public key file configured, the key must
 * be that key, so that a token holding another key refuses to start.
 */
import { bytesEqual, toHex, type Signer } from '@sigsum-kit/sdk';
import { isPkcs11Uri, loadSigningKey, readPublicKeyFile } from '@sigsum-kit/sdk/node';
import { ConfigError } from './config.js';

/**
 * Open `keyFile`, check it against `publicKeyFile` (required for a token key)
 * and pass warnings (e.g. an extractable token key) to `warn`.
 * @param what the configuration key or flag naming `publicKeyFile`, for messages.
 */
export async function openSigningKey(keyFile: string, publicKeyFile: string, what: string, warn: (message: string) => void): Promise<Signer> {
  if (isPkcs11Uri(keyFile) && publicKeyFile === '') {
    throw new ConfigError(`${what}: required with a pkcs11: key (the public key the token must hold, as written by init)`);
  }
  const expected = publicKeyFile === '' ? undefined : (await readPublicKeyFile(publicKeyFile)).publicKey;
  const key = await loadSigningKey(keyFile, {}, expected === undefined ? {} : { expectedPublicKey: expected });
  if (expected !== undefined && !bytesEqual(key.signer.publicKey, expected)) {
    throw new ConfigError(`${what}: the signing key ${toHex(key.signer.publicKey)} is not the configured public key ${toHex(expected)}`);
  }
  for (const w of key.warnings) warn(w);
  return key.signer;
}
