/**
 * `sigsum-log witness`: run the reference witness (C2SP tlog-witness
 * add-checkpoint) until SIGINT/SIGTERM, then close and exit 0 (1 if closing failed).
 */
import type { Command } from 'commander';
import { startWitness } from '../witness/server.js';
import { witnessConfigFromOptions } from '../witness/config.js';
import { createLogger, type LogLevel } from '../logger.js';
import { publicLimits } from '../server/limits.js';
import { refuseExposedKeyFile } from './secrets.js';
import { closeOnSignals } from './shutdown.js';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function positiveInt(v: string, option: string): number {
  if (!/^[0-9]{1,9}$/.test(v) || Number(v) === 0) throw new Error(`${option}: expected a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

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
    .option('--log-level <level>', `pino log level (${LEVELS.join(', ')})`, 'info')
    .option('--max-connections <n>', 'most open connections (default: half the open-file limit)')
    .option('--request-timeout <ms>', 'time allowed to receive a whole request (default 5000)')
    .option('--sign-timeout <ms>', 'time allowed for one signature by a pkcs11: token before it counts as down (default 10000; docs/operations.md)')
    .action(async (opts: { keyFile: string; publicKey?: string; stateDb: string; logKey: string[]; listen: string; urlPrefix?: string; metricsListen?: string; logLevel: string; maxConnections?: string; requestTimeout?: string; signTimeout?: string }) => {
      if (!(LEVELS as readonly string[]).includes(opts.logLevel)) throw new Error(`--log-level: expected one of ${LEVELS.join(', ')}`);
      const requestTimeoutMs = opts.requestTimeout === undefined ? undefined : positiveInt(opts.requestTimeout, '--request-timeout');
      const limits = publicLimits({
        maxConnections: opts.maxConnections === undefined ? undefined : positiveInt(opts.maxConnections, '--max-connections'),
        requestTimeoutMs,
        headersTimeoutMs: requestTimeoutMs === undefined ? undefined : Math.min(requestTimeoutMs, 5000),
      });
      refuseExposedKeyFile(opts.keyFile);
      const logger = createLogger(opts.logLevel as LogLevel);
      const signTimeoutMs = opts.signTimeout === undefined ? undefined : positiveInt(opts.signTimeout, '--sign-timeout');
      const config = await witnessConfigFromOptions({ ...opts, signTimeoutMs });
      const w = await startWitness({ ...config, logger, limits });
      process.stdout.write(`witness listening on ${w.url} (add-checkpoint at ${w.url}/add-checkpoint)\n`);
      if (w.metricsUrl !== undefined) process.stdout.write(`witness metrics at ${w.metricsUrl}\n`);
      // As the log's nodes do: close, then exit. Waiting for the event loop to
      // empty is not enough, since a pkcs11: key's worker thread keeps a port open.
      closeOnSignals({ log: logger, close: () => w.close() });
    });
}
