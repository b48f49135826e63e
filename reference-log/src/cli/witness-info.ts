/**
 * `sigsum-log witness-info -c FILE`: what a witness operator needs to add
 * this log to a witness (or to the witness network's log list), printed as
 * `key=value` lines: the checkpoint origin, the log's vkey, its key hash and
 * the add-checkpoint request rate (docs/operations.md).
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { SIG_TYPE_ED25519, formatVkey, keyHash, toHex, treeHeadOriginOfKey } from '@sigsum-kit/sdk';
import { loadSigner, readPublicKeyFile } from '@sigsum-kit/sdk/node';
import { loadConfig } from './config.js';

/** The log's public key from its config: `keyFile.pub` when present (no private key or agent needed). */
async function logPublicKey(keyFile: string): Promise<Uint8Array> {
  if (keyFile.endsWith('.pub')) return (await readPublicKeyFile(keyFile)).publicKey;
  if (existsSync(keyFile + '.pub')) return (await readPublicKeyFile(keyFile + '.pub')).publicKey;
  return (await loadSigner(keyFile)).publicKey;
}

async function runWitnessInfo(opts: { config: string }): Promise<void> {
  const config = loadConfig(opts.config);
  const key = await logPublicKey(config.keyFile);
  const origin = treeHeadOriginOfKey(key);
  const lines = [
    `origin=${origin}`,
    `vkey=${formatVkey(origin, SIG_TYPE_ED25519, key)}`,
    `log_key_hash=${toHex(keyHash(key))}`,
    `interval_ms=${config.intervalMs}`,
    `requests_per_day=${Math.ceil(86_400_000 / config.intervalMs)}`,
    `promised_requests_per_day=${config.witnessRequestsPerDay}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Register `witness-info` on the `sigsum-log` program. */
export function registerWitnessInfoCommand(program: Command): void {
  program
    .command('witness-info')
    .description("print what witnesses need to cosign this log: origin, vkey, key hash, request rate (docs/operations.md)")
    .requiredOption('-c, --config <file>', "the log's configuration file")
    .action(runWitnessInfo);
}
