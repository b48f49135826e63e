/** `sigsum token …`: sigsum-go's `sigsum-token` (record, create, verify submit tokens). */
import type { Command } from 'commander';
import { Resolver } from 'node:dns/promises';
import { toHex, fromHex } from '../encoding/hex.js';
import { SIGNATURE_SIZE } from '../crypto/ed25519.js';
import { createToken, formatTxtRecordLine, txtRecordName, verifyToken, verifyTokenWithRecords } from '../token/token.js';
import { loadSigner, readPublicKeyFile } from '../keys/node/keyfiles.js';
import { SigsumError } from '../errors.js';
import { CliError, readStdin, writeOutput } from './util.js';

/** Register `sigsum token` and its subcommands. */
export function addTokenCommands(program: Command): void {
  const token = program.command('token').description('manage submit tokens for domain-based rate limiting (sigsum-token)');

  token
    .command('record')
    .description('format the DNS TXT record that publishes a rate-limit public key')
    .requiredOption('-k, --key <key-file>', 'rate-limit public key in OpenSSH format')
    .option('-o, --output <output-file>', 'store output in a file')
    .action(async (o: { key: string; output?: string }) => {
      await writeOutput(o.output, formatTxtRecordLine((await readPublicKeyFile(o.key)).publicKey) + '\n');
    });

  token
    .command('create')
    .description('create a submit token for a log (hex, or a complete header line with -d)')
    .requiredOption('-k, --signing-key <key-file>', 'private key to sign the token with; or a public key whose private part is in ssh-agent')
    .requiredOption('-l, --log-key <key-file>', "the log's public key in OpenSSH format")
    .option('-d, --domain <domain-name>', 'domain where the rate-limit public key is published (without "_sigsum_v1.")')
    .option('-o, --output <output-file>', 'store output in a file')
    .action(async (o: { signingKey: string; logKey: string; domain?: string; output?: string }) => {
      const signer = await loadSigner(o.signingKey);
      const sig = await createToken(signer, (await readPublicKeyFile(o.logKey)).publicKey);
      await writeOutput(o.output, o.domain !== undefined && o.domain !== '' ? `sigsum-token: ${o.domain} ${toHex(sig)}\n` : `${toHex(sig)}\n`);
    });

  token
    .command('verify')
    .description('verify a token (hex, or a sigsum-token: header line) read from standard input')
    .option('-k, --key <key-file>', 'rate-limit public key in OpenSSH format')
    .requiredOption('-l, --log-key <key-file>', 'log public key in OpenSSH format')
    .option('-d, --domain <domain-name>', 'domain where the rate-limit key is published (looked up in DNS)')
    .option('-q, --quiet', 'no message on failure; the exit code tells')
    .action(async (o: { key?: string; logKey: string; domain?: string; quiet?: boolean }) => {
      const fail = (m: string): never => {
        throw new CliError(o.quiet === true ? '' : m);
      };
      const logKey = (await readPublicKeyFile(o.logKey)).publicKey;
      const input = new TextDecoder().decode(await readStdin(64 * 1024));
      let domain: string | undefined;
      let hex: string;
      const colon = input.indexOf(':');
      if (colon >= 0) {
        if (input.slice(0, colon).toLowerCase() !== 'sigsum-token') fail('invalid header, expected a sigsum-token: line');
        const value = input.slice(colon + 1).replace(/^[ \t]+/, '');
        const parts = value.split(' ');
        if (parts.length !== 2) fail(`invalid sigsum-token value: ${JSON.stringify(value)}`);
        domain = parts[0]!;
        if (o.domain !== undefined && o.domain !== '' && domain.toLowerCase() !== o.domain.toLowerCase()) fail(`unexpected domain: ${JSON.stringify(domain)}`);
        hex = parts[1]!.replace(/\n$/, '');
      } else {
        hex = input.trim();
        if (o.domain !== undefined && o.domain !== '') domain = o.domain;
      }
      if (domain === undefined && o.key === undefined) fail('a raw token needs -k or -d to verify against');
      let sig: Uint8Array;
      try {
        sig = fromHex(hex, 'token', SIGNATURE_SIZE);
      } catch (e) {
        return fail(`invalid hex signature: ${(e as SigsumError).message}`);
      }
      if (domain !== undefined) {
        let records: string[];
        try {
          records = (await dnsResolver().resolveTxt(txtRecordName(domain))).map((chunks) => chunks.join(''));
        } catch (e) {
          return fail(`verifying with domain ${JSON.stringify(domain)} failed: DNS lookup: ${(e as Error).message}`);
        }
        if (!(await verifyTokenWithRecords(records, logKey, sig)).valid) fail(`verifying with domain ${JSON.stringify(domain)} failed: no published key verifies the token`);
      }
      if (o.key !== undefined && !(await verifyToken((await readPublicKeyFile(o.key)).publicKey, logKey, sig))) fail('verifying using given key failed: token is not valid');
    });
}

/**
 * The resolver for TXT look-ups: the system's, or `$SIGSUM_DNS_RESOLVER`
 * (`ip`, `ip:port` or `[ipv6]:port`, like the reference log's `dnsResolver`).
 */
function dnsResolver(): Resolver {
  const r = new Resolver({ timeout: 5000, tries: 2 });
  const server = process.env.SIGSUM_DNS_RESOLVER;
  if (server !== undefined && server !== '') r.setServers([server]);
  return r;
}
