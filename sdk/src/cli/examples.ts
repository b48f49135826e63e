/**
 * One example per command, shown at the end of its `--help` (a test checks
 * that every command has one). Keyed by the command path without `sigsum`.
 */
import type { Command } from 'commander';

const EXAMPLES: Record<string, string> = {
  '': 'sigsum submit -k submitter.key -p policy.txt release.tar.gz',
  version: 'sigsum version',
  key: 'sigsum key generate -o submitter.key',
  'key generate': 'sigsum key generate -o submitter.key        # submitter.key (0600) and submitter.key.pub',
  'key to-hex': 'sigsum key to-hex -k submitter.key.pub',
  'key from-hex': 'sigsum key from-hex -k key.hex -o key.pub',
  'key to-hash': 'sigsum key to-hash -k submitter.key.pub      # the key hash logs and monitors show',
  'key to-vkey': 'sigsum key to-vkey -k log.key.pub             # a signed-note verifier key for the log',
  'key from-vkey': 'sigsum key from-vkey -k log.vkey -o log.key.pub',
  'key sign': 'sigsum key sign -k submitter.key -n example.org/release -o release.sig < release.tar.gz',
  'key verify': 'sigsum key verify -k submitter.key.pub -n example.org/release -s release.sig < release.tar.gz',
  submit: 'sigsum submit -k submitter.key -p policy.txt release.tar.gz   # writes release.tar.gz.proof',
  verify: 'sigsum verify -k submitter.key.pub -p policy.txt release.tar.gz.proof < release.tar.gz',
  token: 'sigsum token create -k ratelimit.key -l log.key.pub -d example.org',
  'token record': 'sigsum token record -k ratelimit.key.pub     # the TXT record for _sigsum_v1.<your domain>',
  'token create': 'sigsum token create -k ratelimit.key -l log.key.pub -d example.org',
  'token verify': 'sigsum token create -k ratelimit.key -l log.key.pub | sigsum token verify -k ratelimit.key.pub -l log.key.pub',
  policy: 'sigsum policy check policy.txt',
  'policy list': 'sigsum policy list',
  'policy show': 'sigsum policy show sigsum-test-2025-3',
  'policy check': 'sigsum policy check policy.txt',
  monitor: 'sigsum monitor -p policy.txt submitter.key.pub   # report this key\'s leaves and any inconsistency',
};

function path(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Append the example of every command of `program` that has one to its help. */
export function addHelpExamples(program: Command): void {
  const visit = (cmd: Command) => {
    const example = EXAMPLES[path(cmd)];
    if (example !== undefined) cmd.addHelpText('after', `\nExample:\n  ${example}`);
    cmd.commands.forEach(visit);
  };
  visit(program);
}
