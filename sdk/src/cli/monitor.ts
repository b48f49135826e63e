/** `sigsum monitor`: sigsum-go's `sigsum-monitor`, plus state, cosignature/quorum/freshness checks and JSON output. */
import type { Command } from 'commander';
import { policyNameOfKeys, type OpenSshPublicKey } from '../keys/openssh.js';
import { readPublicKeyFile } from '../keys/node/keyfiles.js';
import { Monitor, type MonitorEvent } from '../monitor/monitor.js';
import { CliError, usageError } from './util.js';
import { selectPolicy } from './common.js';
import { parseDuration, progressBar } from './log.js';

interface MonitorFlags {
  policy?: string;
  namedPolicy?: string;
  interval: string;
  state?: string;
  json?: boolean;
  maxAge?: string;
  maxSkew: string;
  once?: boolean;
  batchSize: string;
  tiles?: string;
}

/**
 * Text output in sigsum-monitor's line formats: `New <log> tree, size N` for
 * a new tree head; for the leaves of a round, `New <log> leaves, count N,
 * total processed M` followed by one `  index I keyhash K checksum C` line
 * per watched leaf. The monitor reports the leaves before the round's
 * progress, so their lines are held until the summary that goes first.
 * Alerts are ours (sigsum-monitor exits on its first alert).
 */
export class TextEventFormatter {
  readonly #leafLines = new Map<string, string[]>();

  /** The lines (each ending in a newline) to print for `e` now; alerts belong on standard error. */
  format(e: MonitorEvent): string {
    switch (e.type) {
      case 'tree-head':
        return `New ${e.log} tree, size ${e.size}\n`;
      case 'leaf': {
        const held = this.#leafLines.get(e.log) ?? [];
        held.push(`  index ${e.index} keyhash ${e.keyHash} checksum ${e.checksum}\n`);
        this.#leafLines.set(e.log, held);
        return '';
      }
      case 'progress': {
        const held = this.#leafLines.get(e.log) ?? [];
        this.#leafLines.delete(e.log);
        return `New ${e.log} leaves, count ${held.length}, total processed ${e.processed}\n${held.join('')}`;
      }
      case 'alert':
        return `Alert (${e.severity}) log ${e.log}: ${e.alert}: ${e.message}\n`;
    }
  }
}

/** One JSON line for an event (bigints as decimal strings' numbers). */
export function formatEventJson(e: MonitorEvent): string {
  return JSON.stringify({ time: new Date().toISOString(), ...e }, (_k, v: unknown) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v));
}

/** Register `sigsum monitor`. */
export function addMonitorCommand(program: Command): void {
  program
    .command('monitor')
    .description('follow the logs of a policy; report the leaves of the given submitter keys and every inconsistency (sigsum-monitor)')
    .argument('[key-files...]', 'submitter public keys in OpenSSH format whose leaves to report')
    .option('-p, --policy <policy-file>', "trust policy file defining logs, witnesses, and the end-user's quorum rule")
    .option('-P, --named-policy <policy-name>', 'use a named trust policy')
    .option('-i, --interval <interval>', 'how often to fetch the latest entries', '10m')
    .option('-s, --state <state-file>', 'keep state in this file across runs (tree heads seen, leaves processed)')
    .option('--json', 'one JSON object per line instead of text')
    .option('--max-age <duration>', 'alert when the newest cosignature (or an unchanged tree head) is older than this')
    .option('--max-skew <duration>', 'cosignatures dated further than this in the future are reported and not counted for --max-age', '1m')
    .option('--batch-size <n>', 'leaves per get-leaves request', '512')
    .option('--tiles <url>', "follow the policy's only log through C2SP tlog-tiles at this URL (a CDN or static export) instead of its v1 API")
    .option('--once', 'check each log once and exit (1 if a critical alert was raised)')
    .addHelpText('after', '\nEvents go to standard output; in text mode, alerts go to standard error.\nExit status: 0, or 1 when a critical alert (inconsistency, rollback, bad signature) was raised.')
    .action(async (files: string[], o: MonitorFlags) => {
      const keys: OpenSshPublicKey[] = [];
      for (const f of files) keys.push(await readPublicKeyFile(f));
      const nameFromKey = o.policy === undefined && o.namedPolicy === undefined && keys.length > 0 ? policyNameOfKeys(keys, 'key files') : undefined;
      const policy = selectPolicy({ policy: o.policy, namedPolicy: o.namedPolicy, nameFromKey });
      if (policy === undefined) throw usageError('a policy must be specified, either in a key file or using -p or -P');
      const batchSize = Number(o.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw usageError(`invalid --batch-size ${JSON.stringify(o.batchSize)}`);
      const interval = parseDuration(o.interval, '--interval');
      let critical = 0;
      const text = new TextEventFormatter();
      // Catching up on a large log shows a progress bar on a terminal; scripts (no TTY, or --json) get none.
      const bar = o.json !== true && process.stderr.isTTY === true ? progressBar(process.stderr) : undefined;
      const onEvent = (e: MonitorEvent): void => {
        if (e.type === 'progress' || e.type === 'alert') bar?.done();
        if (e.type === 'alert' && e.severity === 'critical') critical++;
        if (o.json === true) process.stdout.write(formatEventJson(e) + '\n');
        else (e.type === 'alert' ? process.stderr : process.stdout).write(text.format(e));
      };
      const monitor = new Monitor({
        policy,
        submitKeys: keys.map((k) => k.publicKey),
        onEvent,
        ...(bar !== undefined ? { onLeavesRead: (_log: string, read: bigint, size: bigint) => bar.update(Number(read), Number(size), 0) } : {}),
        batchSize,
        ...(o.tiles !== undefined ? { tilesUrl: o.tiles } : {}),
        ...(o.state !== undefined ? { stateFile: o.state } : {}),
        ...(o.maxAge !== undefined ? { maxTreeHeadAgeMs: parseDuration(o.maxAge, '--max-age') } : {}),
        maxCosignatureSkewMs: parseDuration(o.maxSkew, '--max-skew'),
      });
      if (o.once === true) {
        await monitor.runOnce();
      } else {
        const ac = new AbortController();
        const stop = (): void => ac.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await monitor.run(interval, ac.signal);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }
      if (critical > 0) throw new CliError(`${critical} critical alert(s) raised`);
    });
}
