/**
 * Files holding secrets (private keys, configurations with the replication
 * token): written owner-only, and refused at start-up when group or others
 * have any access, as OpenSSH refuses an unprotected private key. A secret
 * others could read may already be copied; starting anyway would hide that.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** Mode of every secret-holding file this CLI writes. */
export const SECRET_FILE_MODE = 0o600;

/** Create `path` (never overwrite) with `text`, readable and writable by its owner only. */
export function writeSecretFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: SECRET_FILE_MODE, flag: 'wx' });
}

/**
 * Throw a {@link ConfigError} when `path`, which holds `what`, grants any
 * permission to group or others. Windows has no such mode bits: skipped.
 */
export function refuseExposedSecret(path: string, what: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `${path} holds ${what} but its mode is 0${mode.toString(8)} (group or others have access); ` +
        `refusing to start: check who may have read it, then run chmod 600 ${path}`,
    );
  }
}

/**
 * Refuse a key file that holds a private key open to others (a public key
 * file, with the private key in ssh-agent, holds no secret).
 */
export function refuseExposedKeyFile(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return; // loading the key reports this with its own message
  }
  if (text.includes('PRIVATE KEY')) refuseExposedSecret(path, 'a private key');
}
