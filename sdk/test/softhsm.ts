/**
 * Test helper: a SoftHSM 2 software token in a temp directory (its own
 * SOFTHSM2_CONF and token directory), set up with the real tools,
 * `softhsm2-util` and OpenSC's `pkcs11-tool`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's SoftHSM 2 module. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** A SoftHSM set-up in a temp directory. */
export interface SoftHsm {
  /** The temp directory (config, tokens, PIN file). */
  dir: string;
  /** The token directory (move it away to make the tokens disappear). */
  tokenDir: string;
  /** Environment for processes that use this SoftHSM (SOFTHSM2_CONF). */
  env: Record<string, string>;
  /** A file holding the user PIN (mode 0600). */
  pinFile: string;
  /** The user PIN of every token made here. */
  pin: string;
  /** Initialise a token with this label. */
  initToken(label: string): void;
  /** Generate an Ed25519 key pair with pkcs11-tool (non-extractable unless asked). */
  keygen(token: string, label: string, idHex: string, opts?: { extractable?: boolean }): void;
  /** The raw Ed25519 public key of a key pair, as pkcs11-tool reads it. */
  publicKey(token: string, label: string): Uint8Array;
  /** A `pkcs11:` URI for a key, PIN from {@link pinFile}. */
  uri(token: string, object: string, extra?: string): string;
  /** Make the tokens unreadable (moved away) / bring them back. */
  hideTokens(): void;
  restoreTokens(): void;
  /** Remove the temp directory. */
  cleanup(): void;
}

/** Create a SoftHSM set-up; `process.env.SOFTHSM2_CONF` is left alone (use {@link SoftHsm.env}). */
export function createSoftHsm(prefix = 'softhsm-test-'): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { SOFTHSM2_CONF: conf };
  const pin = '57319024';
  const pinFile = join(dir, 'pin');
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  const run = (cmd: string, args: string[]): void => {
    execFileSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  return {
    dir,
    tokenDir,
    env,
    pin,
    pinFile,
    initToken(label) {
      run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '87654321']);
    },
    keygen(token, label, idHex, opts = {}) {
      run('pkcs11-tool', [
        '--module', SOFTHSM_MODULE, '--token-label', token, '--login', '--pin', pin,
        '--keypairgen', '--key-type', 'EC:edwards25519', '--label', label, '--id', idHex, '--usage-sign',
        ...(opts.extractable === true ? ['--extractable'] : ['--sensitive']),
      ]);
    },
    publicKey(token, label) {
      const pem = execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', token, '--read-object', '--type', 'pubkey', '--label', label], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
      return new Uint8Array(der.subarray(der.length - 32)); // SubjectPublicKeyInfo ends with the raw key
    },
    uri(token, object, extra = '') {
      return `pkcs11:token=${encodeURIComponent(token)};object=${encodeURIComponent(object)}${extra}?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`;
    },
    hideTokens() {
      renameSync(tokenDir, `${tokenDir}.away`);
    },
    restoreTokens() {
      renameSync(`${tokenDir}.away`, tokenDir);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
