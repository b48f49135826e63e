/**
 * Witness configuration from command-line values: the key file, log keys
 * given as hex, OpenSSH public key lines or key files, and the listen address.
 */
import { ParseError, parseHexKey, parseOpenSshPublicKey, readPublicKeysFile } from '@sigsum-kit/sdk/node';
import { openSigningKey } from '../cli/signing-key.js';
import type { WitnessConfig } from './server.js';

/** Raw command-line values of `sigsum-log witness`. */
export interface WitnessOptions {
  /** `host:port` (IPv6 as `[::1]:port`). */
  listen: string;
  /** OpenSSH (or hex) private key file, a public key file whose private half is in ssh-agent, or a `pkcs11:` URI. */
  keyFile: string;
  /** The witness's public key file; the witness refuses to start on another key. Required with a `pkcs11:` key. */
  publicKey?: string;
  /** SQLite state database path. */
  stateDb: string;
  /** Log keys: 64 hex digits, an `ssh-ed25519 …` line, or a path to a file of public keys. */
  logKey: string[];
  /** Optional URL prefix before `/add-checkpoint`. */
  urlPrefix?: string;
  /** Optional `host:port` of a separate listener serving `GET /metrics`. */
  metricsListen?: string;
  /** Time allowed for one signature by a `pkcs11:` token, ms (default 10 s). */
  signTimeoutMs?: number;
}

/** Split `host:port` (empty host = 127.0.0.1); the port must be 0..65535. */
export function parseListen(listen: string, option = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new ParseError('witness.listen', `invalid listen address ${JSON.stringify(listen)}, expected host:port`, option);
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]!), port };
}

/** Resolve one `--log-key` value to raw public keys. */
export async function resolveLogKey(value: string): Promise<Uint8Array[]> {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return [parseHexKey(v, '--log-key')];
  if (v.startsWith('ssh-ed25519 ') || v.startsWith('sigsum-policy=')) return [parseOpenSshPublicKey(v, '--log-key').publicKey];
  const keys = await readPublicKeysFile(v);
  if (keys.length === 0) throw new ParseError('witness.log-key', `no public key in ${JSON.stringify(v)}`, '--log-key');
  return keys.map((k) => k.publicKey);
}

/** Turn command-line values into a {@link WitnessConfig} (reads the key files). */
export async function witnessConfigFromOptions(
  o: WitnessOptions,
  warn: (message: string) => void = (w) => process.stderr.write(`sigsum-log witness: warning: ${w}\n`),
): Promise<WitnessConfig> {
  const { host, port } = parseListen(o.listen);
  if (o.logKey.length === 0) throw new ParseError('witness.log-key', 'at least one --log-key is required', '--log-key');
  const logKeys: Uint8Array[] = [];
  for (const k of o.logKey) logKeys.push(...(await resolveLogKey(k)));
  const signer = await openSigningKey(o.keyFile, o.publicKey ?? '', '--public-key', warn, { signTimeoutMs: o.signTimeoutMs });
  return {
    host,
    port,
    signer,
    statePath: o.stateDb,
    logKeys,
    ...(o.urlPrefix === undefined ? {} : { urlPrefix: o.urlPrefix }),
    ...(o.metricsListen === undefined ? {} : { metricsListen: parseListen(o.metricsListen, '--metrics-listen') }),
  };
}
