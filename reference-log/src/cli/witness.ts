/**
 * `sigsum-log witness`: run the reference witness (C2SP tlog-witness
 * add-checkpoint) until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { startWitness } from '../witness/server.js';
import { witnessConfigFromOptions } from '../witness/config.js';

/** Register the `witness` subcommand on `program` (called by the `sigsum-log` main). */
export function registerWitnessCommand(program: Command): Command {
  return program
    .command('witness')
    .description('run a reference witness that cosigns checkpoints of the given Sigsum logs')
    .requiredOption('-k, --key-file <file>', 'witness private key (OpenSSH), public key file with the private key in ssh-agent, or pkcs11: URI (PIN via pin-source)')
    .option('--public-key <file>', 'the witness public key; refuse to start if the key is another (required with a pkcs11: key)')
    .requiredOption('--state-db <file>', 'SQLite database holding the last cosigned tree head per log')
    .option('--log-key <key>', 'log public key: 64 hex digits, an ssh-ed25519 line, or a public key file (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:5001')
    .option('--url-prefix <prefix>', 'path before /add-checkpoint, e.g. /witness')
    .option('--metrics-listen <host:port>', 'serve Prometheus metrics at /metrics on this separate address')
    .action(async (opts: { keyFile: string; publicKey?: string; stateDb: string; logKey: string[]; listen: string; urlPrefix?: string; metricsListen?: string }) => {
      const config = await witnessConfigFromOptions(opts);
      const w = await startWitness(config);
      process.stdout.write(`witness listening on ${w.url} (add-checkpoint at ${w.url}/add-checkpoint)\n`);
      if (w.metricsUrl !== undefined) process.stdout.write(`witness metrics at ${w.metricsUrl}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await w.close();
    });
}
