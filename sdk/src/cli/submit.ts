/**
 * `sigsum submit`: sigsum-go's `sigsum-submit` — create add-leaf requests,
 * submit them and collect proofs, or compute leaf hashes, with the same
 * input/output file naming, resumable batches and atomic output files.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { toHex } from '../encoding/hex.js';
import { ParseError, SigsumError } from '../errors.js';
import type { Signer } from '../crypto/ed25519.js';
import { keyHash } from '../crypto/keyhash.js';
import { leafHashOf } from '../types/leaf.js';
import { parseAddLeafRequest, serializeAddLeafRequest, verifyAddLeafRequest, type AddLeafRequest } from '../types/bodies.js';
import { parseProof, serializeProof } from '../proof/format.js';
import { verifyProof } from '../proof/verify.js';
import type { Policy } from '../policy/policy.js';
import { makeAddLeafRequest, submitLeafRequests, SubmitError, DEFAULT_POLL_DELAY_MS } from '../client/submit.js';
import { loadSigningKey, loadSigner } from '../keys/node/keyfiles.js';
import { readBoundedFileSync } from '../keys/node/files.js';
import { CliError, readStdin, usageError, writeOutput } from './util.js';
import { readMessage, selectPolicy } from './common.js';
import { createLogger, parseDuration, progressBar, type Logger } from './log.js';

/** Largest add-leaf request file (a request is 300 bytes). */
const MAX_REQUEST = 64 * 1024;

interface SubmitFlags {
  rawHash?: boolean;
  signingKey?: string;
  policy?: string;
  namedPolicy?: string;
  leafHash?: boolean;
  output?: string;
  outputDir?: string;
  diagnostics: string;
  tokenDomain?: string;
  tokenSigningKey?: string;
  timeout?: string;
  pollInterval?: string;
}

/** One input and what becomes of it. */
interface Item {
  /** Input file, or undefined for standard input. */
  input: string | undefined;
  request: AddLeafRequest;
  /** Output file, or undefined for standard output. */
  output: string | undefined;
}

const stripReq = (name: string): string => (name.endsWith('.req') ? name.slice(0, -4) : name);

/** Output name of sigsum-go: -o for a single input, else input + suffix, optionally moved into -O DIR. */
function outputName(input: string | undefined, suffix: string, inputIsRequest: boolean, flags: SubmitFlags, count: number): string | undefined {
  if (flags.output !== undefined && (input === undefined || count === 1)) return flags.output;
  if (input === undefined) return undefined;
  let name = (suffix === '.proof' && inputIsRequest ? stripReq(input) : input) + suffix;
  if (flags.outputDir !== undefined) name = join(flags.outputDir, basename(name));
  return name;
}

/** Register `sigsum submit`. */
export function addSubmitCommand(program: Command): void {
  program
    .command('submit')
    .description('create and/or submit add-leaf requests and collect Sigsum proofs (sigsum-submit)')
    .argument('[files...]', 'inputs: data (or with --raw-hash a 32-byte hash), or add-leaf requests when -k is not given; default: standard input')
    .option('--raw-hash', 'input has already been hashed: 32 octets or 64 hex digits')
    .option('-k, --signing-key <key-file>', 'private key in OpenSSH format to sign checksums; or a public key whose private part is in ssh-agent; or a pkcs11: URI (RFC 7512, PIN via pin-source)')
    .option('-p, --policy <policy-file>', 'trust policy file; omit the policy to only output requests')
    .option('-P, --named-policy <policy-name>', 'use a named trust policy; omit the policy to only output requests')
    .option('--leaf-hash', "output the request's leaf hash without submission and exit")
    .option('-o, --output <output-file>', 'store output in a file (only for a single input)')
    .option('-O, --output-dir <output-dir>', 'store output files in this directory (default: next to each input)')
    .option('--diagnostics <log-level>', 'fatal, error, warning, info or debug', 'info')
    .option('-d, --token-domain <domain-name>', 'domain for rate limiting; "_sigsum_v1." is prepended for the DNS lookup')
    .option('-a, --token-signing-key <key-file>', 'private key (or public key + ssh-agent) to sign submit tokens')
    .option('-t, --timeout <timeout>', 'give up on submitting everything after this long (e.g. 10m, 90s)', '10m')
    .option('--poll-interval <duration>', 'delay between polls of the log (sigsum-kit extension)', `${DEFAULT_POLL_DELAY_MS}ms`)
    .addHelpText('after', '\nOutput names: FILE.req for requests, FILE.proof for proofs (a .req suffix is replaced), FILE.hash for leaf hashes.\nA batch rerun skips inputs whose .proof already verifies.')
    .action(async (files: string[], flags: SubmitFlags) => {
      await runSubmit(files, flags);
    });
}

async function runSubmit(files: string[], flags: SubmitFlags): Promise<void> {
  const log = createLogger(flags.diagnostics);
  if (flags.output !== undefined && files.length > 1) throw usageError('-o (--output) works only with a single input');
  if (flags.output !== undefined && flags.outputDir !== undefined) throw usageError('-o and -O cannot be used together');
  if (flags.leafHash === true && (flags.policy !== undefined || flags.namedPolicy !== undefined)) throw usageError('--leaf-hash cannot be combined with -p or -P');
  if ((flags.tokenDomain === undefined) !== (flags.tokenSigningKey === undefined)) throw usageError('-a and -d must be given together');
  const timeoutMs = parseDuration(flags.timeout ?? '10m', '--timeout');
  const pollDelayMs = parseDuration(flags.pollInterval ?? '2s', '--poll-interval');

  let signer: Signer | undefined;
  let nameFromKey: string | undefined;
  if (flags.signingKey !== undefined) {
    const k = await loadSigningKey(flags.signingKey);
    for (const w of k.warnings) log.warning(w);
    signer = k.signer;
    nameFromKey = k.policyName;
  }
  const policy = flags.leafHash === true ? undefined : selectPolicy({ policy: flags.policy, namedPolicy: flags.namedPolicy, nameFromKey });

  // Read every input and turn it into a request.
  const inputs: (string | undefined)[] = files.length === 0 ? [undefined] : files;
  const inputIsRequest = signer === undefined;
  const items: Item[] = [];
  for (const input of inputs) {
    const where = input ?? 'standard input';
    let request: AddLeafRequest;
    if (signer !== undefined) {
      // Data is hashed as it streams in: inputs of any size.
      request = await makeAddLeafRequest(signer, await readMessage(input, flags.rawHash === true));
    } else {
      try {
        const data = input === undefined ? await readStdin(MAX_REQUEST) : readBoundedFileSync(input, MAX_REQUEST);
        request = parseAddLeafRequest(data);
        await verifyAddLeafRequest(request);
      } catch (e) {
        if (e instanceof SigsumError) throw new CliError(`invalid leaf request ${where}: ${e.message} [${e.code}]`);
        throw e;
      }
    }
    const suffix = flags.leafHash === true ? '.hash' : policy === undefined ? '.req' : '.proof';
    items.push({ input, request, output: outputName(input, suffix, inputIsRequest, flags, inputs.length) });
  }

  if (flags.leafHash === true) {
    for (const it of items) {
      const leaf = await verifyAddLeafRequest(it.request);
      await writeOutput(it.output, toHex(leafHashOf(leaf)) + '\n');
    }
    return;
  }
  if (policy === undefined) {
    // No policy: with -k, output the signed requests; without, the requests were only checked.
    if (signer !== undefined) for (const it of items) await writeOutput(it.output, serializeAddLeafRequest(it.request));
    return;
  }
  await submitItems(items, policy, flags, log, timeoutMs, pollDelayMs);
}

async function submitItems(items: Item[], policy: Policy, flags: SubmitFlags, log: Logger, timeoutMs: number, pollDelayMs: number): Promise<void> {
  // Resume: skip inputs whose proof file already verifies; a proof that does not verify is an error.
  const todo: Item[] = [];
  for (const it of items) {
    if (it.input !== undefined && it.output !== undefined && existsSync(it.output)) {
      let ok = false;
      let why = '';
      try {
        const proof = parseProof(readBoundedFileSync(it.output, 1 << 20));
        const v = await verifyProof(proof, { message: it.request.message, submitterKeys: [it.request.publicKey], policy });
        ok = v.ok;
        if (!v.ok) why = `step ${v.step} (${v.stepName}): ${v.message}`;
      } catch (e) {
        why = e instanceof ParseError ? `${e.message} [${e.code}]` : (e as Error).message;
      }
      if (!ok) throw new CliError(`existing proof ${it.output} is not valid: ${why}`);
      log.info(`skipping ${it.input}: ${it.output} already verifies`);
      continue;
    }
    todo.push(it);
  }
  if (todo.length === 0) return;

  let token;
  if (flags.tokenSigningKey !== undefined) token = { signer: await loadSigner(flags.tokenSigningKey), domain: flags.tokenDomain! };
  const bar = todo.length > 1 && process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(new CliError('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await submitLeafRequests(
      todo.map((it) => it.request),
      {
        policy,
        timeoutMs,
        pollDelayMs,
        signal: ac.signal,
        ...(token ? { token } : {}),
        userAgent: 'sigsum-kit submit',
        log: (m) => log.debug(m),
        onProgress: bar ? (p) => bar.update(p.done, p.total, p.failed) : undefined,
        // Each proof is written as soon as it is verified, so an interrupted batch keeps its progress.
        onProof: async (i, proof) => {
          const it = todo[i]!;
          await writeOutput(it.output, serializeProof(proof));
          log.info(`${it.input ?? 'standard input'}: logged, key hash ${toHex(keyHash(it.request.publicKey)).slice(0, 16)}…, leaf ${proof.inclusion.leafIndex} of ${proof.treeHead.size}`);
        },
      },
    );
  } catch (e) {
    if (e instanceof SubmitError && e.failures.size > 0) {
      for (const [i, err] of e.failures) log.error(`${todo[i]!.input ?? 'standard input'}: ${err instanceof Error ? err.message : String(err)}`);
      throw new CliError(`${e.failures.size} of ${todo.length} submissions failed; rerun the same command to resume`);
    }
    throw e;
  } finally {
    bar?.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
