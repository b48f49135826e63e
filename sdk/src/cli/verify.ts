/** `sigsum verify`: sigsum-go's `sigsum-verify` — offline verification of a proof. */
import type { Command } from 'commander';
import { MAX_KEY_FILE_SIZE, parseOpenSshPublicKeys, policyNameOfKeys } from '../keys/openssh.js';
import { readBoundedFileSync, readTextFileSync } from '../keys/node/files.js';
import { parseProof } from '../proof/format.js';
import { verifyProof } from '../proof/verify.js';
import type { Policy } from '../policy/policy.js';
import { ParseError } from '../errors.js';
import { CliError, usageError } from './util.js';
import { readMessage, selectPolicy } from './common.js';

/** Largest proof file accepted (a proof is under 10 KiB). */
const MAX_PROOF_FILE = 1 << 20;

/** Everything `sigsum verify` reads, already loaded. */
export interface VerifyInputs {
  /** Contents of the `-k` key file and its name (for messages). */
  keysText: string;
  keysWhere: string;
  /** Whether the key file's `sigsum-policy` name selects the policy (only without -p/-P, as sigsum-go). */
  policyFromKeys: boolean;
  /** Picks the policy given the key file's policy name (undefined when unused or absent). */
  resolvePolicy: (nameFromKey: string | undefined) => Policy | undefined | Promise<Policy | undefined>;
  /** The proof file's bytes and name. */
  proof: Uint8Array;
  proofWhere: string;
  /** The 32-byte message, or a function reading it (standard input: SHA-256 of the data, or the raw hash). */
  message: Uint8Array | (() => Promise<Uint8Array>);
}

/**
 * The logic of `sigsum verify`, in sigsum-go's order: key file, message,
 * proof, policy, then the six verification steps.
 * @throws CliError naming the failed stage or step (exit 1), or a usage error without a policy (exit 2).
 */
export async function verifyInputs(i: VerifyInputs): Promise<void> {
  const keys = parseOpenSshPublicKeys(i.keysText, i.keysWhere);
  // Conflicting names in the key file matter only when they would select the policy.
  const nameFromKeys = i.policyFromKeys ? policyNameOfKeys(keys, i.keysWhere) : undefined;
  const message = i.message instanceof Uint8Array ? i.message : await i.message();
  let proof;
  try {
    proof = parseProof(i.proof);
  } catch (e) {
    if (e instanceof ParseError) throw new CliError(`invalid proof ${i.proofWhere}: ${e.message} [${e.code}]`);
    throw e;
  }
  const policy = await i.resolvePolicy(nameFromKeys);
  if (policy === undefined) throw usageError('a policy is needed: -p FILE, -P NAME, or sigsum-policy="NAME" in the key file');
  const v = await verifyProof(proof, { message, submitterKeys: keys, policy });
  if (!v.ok) throw new CliError(`proof is not valid: step ${v.step} (${v.stepName}) failed: ${v.message} [${v.code}]`);
}

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
      const keysText = readTextFileSync(o.key, MAX_KEY_FILE_SIZE);
      await verifyInputs({
        keysText,
        keysWhere: o.key,
        policyFromKeys: o.policy === undefined && o.namedPolicy === undefined,
        resolvePolicy: (nameFromKey) => selectPolicy({ policy: o.policy, namedPolicy: o.namedPolicy, nameFromKey }),
        proof: readBoundedFileSync(proofFile, MAX_PROOF_FILE),
        proofWhere: proofFile,
        message: () => readMessage(undefined, o.rawHash === true),
      });
    });
}
