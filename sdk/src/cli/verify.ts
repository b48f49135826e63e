/** `sigsum verify`: sigsum-go's `sigsum-verify` — offline verification of a proof. */
import type { Command } from 'commander';
import { MAX_KEY_FILE_SIZE, parseOpenSshPublicKeys, policyNameOfKeys } from '../keys/openssh.js';
import { readBoundedFile, readTextFile } from '../keys/node/files.js';
import { parseProof } from '../proof/format.js';
import { verifyProof } from '../proof/verify.js';
import { ParseError } from '../errors.js';
import { CliError, readStdin, usageError } from './util.js';
import { messageOf, selectPolicy } from './common.js';

/** Largest proof file accepted (a proof is under 10 KiB). */
const MAX_PROOF_FILE = 1 << 20;

/** Register `sigsum verify`. */
export function addVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('verify a Sigsum proof for the data on standard input; exit 0 when valid, 1 with the failed step on stderr')
    .argument('<proof-file>', 'the Sigsum proof (version 1 or 2)')
    .requiredOption('-k, --key <key-file>', 'submitter public keys, one per line in OpenSSH format')
    .option('-p, --policy <policy-file>', 'trust policy file defining logs, witnesses, and a quorum rule')
    .option('-P, --named-policy <policy-name>', 'use a named trust policy')
    .option('--raw-hash', 'input has already been hashed: 32 octets or 64 hex digits')
    .action(async (proofFile: string, o: { key: string; policy?: string; namedPolicy?: string; rawHash?: boolean }) => {
      const keys = parseOpenSshPublicKeys(await readTextFile(o.key, MAX_KEY_FILE_SIZE), o.key);
      const nameFromKey = o.policy === undefined && o.namedPolicy === undefined ? policyNameOfKeys(keys, o.key) : undefined;
      const policy = await selectPolicy({ policy: o.policy, namedPolicy: o.namedPolicy, nameFromKey });
      if (policy === undefined) throw usageError('a policy is needed: -p FILE, -P NAME, or sigsum-policy="NAME" in the key file');
      let proof;
      try {
        proof = parseProof(await readBoundedFile(proofFile, MAX_PROOF_FILE));
      } catch (e) {
        if (e instanceof ParseError) throw new CliError(`invalid proof ${proofFile}: ${e.message} [${e.code}]`);
        throw e;
      }
      const message = messageOf(await readStdin(), o.rawHash === true, 'standard input');
      const v = await verifyProof(proof, { message, submitterKeys: keys, policy });
      if (!v.ok) throw new CliError(`proof is not valid: step ${v.step} (${v.stepName}) failed: ${v.message} [${v.code}]`);
    });
}
