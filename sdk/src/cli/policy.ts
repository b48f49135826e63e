/** `sigsum policy …`: sigsum-go's `sigsum-policy` (list, show) plus `check`. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { latin1 } from '../encoding/bytes.js';
import { POLICY_NAME, builtinPolicies } from '../policy/builtin.js';
import { MAX_POLICY_SIZE, type QuorumNode } from '../policy/policy.js';
import { readBoundedFileSync } from '../keys/node/files.js';
import { CliError } from './util.js';
import { POLICY_SUFFIX, listPolicyNames, policyDir, readPolicyFile } from './common.js';

/** Register `sigsum policy` and its subcommands. */
export function addPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('list, show and check trust policies (sigsum-policy)');

  policy
    .command('list')
    .description('list the named policies, installed (in $SIGSUM_POLICY_DIR) and builtin, one name a line (as sigsum-policy)')
    .action(async () => {
      for (const p of await listPolicyNames()) process.stdout.write(`${p.name}\n`);
    });

  policy
    .command('show')
    .description('print the text of a named policy, or of a policy file')
    .argument('<name-or-file>', 'policy name (installed or builtin), or a path containing "/" or ending in .sigsum-policy')
    .action(async (arg: string) => {
      let text: string;
      if (POLICY_NAME.test(arg) && !arg.includes('/')) {
        const installed = join(policyDir(), arg + POLICY_SUFFIX);
        if (existsSync(installed)) text = latin1(readBoundedFileSync(installed, MAX_POLICY_SIZE));
        else if (Object.hasOwn(builtinPolicies, arg)) text = builtinPolicies[arg]!;
        else throw new CliError(`no policy named ${JSON.stringify(arg)} (see: sigsum policy list)`);
      } else {
        readPolicyFile(arg); // show only what parses
        text = latin1(readBoundedFileSync(arg, MAX_POLICY_SIZE));
      }
      process.stdout.write(text);
    });

  policy
    .command('check')
    .description('parse a policy file; print its logs, witnesses and quorum; exit 0 when valid')
    .argument('<file>', 'policy file')
    .action(async (file: string) => {
      const p = readPolicyFile(file);
      const lines: string[] = [];
      for (const l of p.logs) lines.push(`log ${l.keyHashHex}${l.url === undefined ? '' : ' ' + l.url}`);
      for (const w of p.witnesses) lines.push(`witness ${w.name} ${w.keyHashHex}${w.url === undefined ? '' : ' ' + w.url}`);
      lines.push(`quorum ${describeQuorum(p.quorum)}`);
      lines.push(`${p.logs.length} log(s), ${p.witnesses.length} witness(es): policy is valid`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}

/** `name` for a witness, `name(k of [members])` for a group. */
function describeQuorum(q: QuorumNode): string {
  if (q.kind === 'witness') return q.name;
  if (q.members.length === 0) return q.name;
  return `${q.name}(${q.threshold} of [${q.members.map(describeQuorum).join(', ')}])`;
}
