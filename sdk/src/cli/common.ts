/** Helpers shared by several subcommands: policy selection, message input, key input. */
import { join } from 'node:path';
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { fromHex } from '../encoding/hex.js';
import { concatBytes, latin1 } from '../encoding/bytes.js';
import { sha256 } from '../crypto/sha256.js';
import { ParseError } from '../errors.js';
import { parsePolicy, MAX_POLICY_SIZE, type Policy } from '../policy/policy.js';
import { POLICY_NAME, builtinPolicies, getBuiltinPolicy } from '../policy/builtin.js';
import { readBoundedFileSync, readTextFileSync } from '../keys/node/files.js';
import { CliError, inputChunks, usageError } from './util.js';

/** Default directory of installed named policies (sigsum-go). */
export const DEFAULT_POLICY_DIR = '/etc/sigsum/policy';
/** File name suffix of installed policies. */
export const POLICY_SUFFIX = '.sigsum-policy';

/** Directory of installed policies: `$SIGSUM_POLICY_DIR` or the default. */
export function policyDir(): string {
  const d = process.env.SIGSUM_POLICY_DIR;
  return d === undefined || d === '' ? DEFAULT_POLICY_DIR : d;
}

/** Read (blocking) and parse a policy file. */
export function readPolicyFile(path: string): Policy {
  const bytes = readBoundedFileSync(path, MAX_POLICY_SIZE);
  try {
    return parsePolicy(bytes);
  } catch (e) {
    if (e instanceof ParseError) throw e.within(path);
    throw e;
  }
}

/** A named policy: an installed one wins over a builtin of the same name (sigsum-go). */
export function namedPolicy(name: string): Policy {
  if (!POLICY_NAME.test(name)) throw new ParseError('policy.name', `invalid policy name ${JSON.stringify(name)}`, 'policy name');
  const installed = join(policyDir(), name + POLICY_SUFFIX);
  if (existsSync(installed)) return readPolicyFile(installed);
  return getBuiltinPolicy(name);
}

/**
 * Names of installed and builtin policies, sorted, without duplicates. As
 * sigsum-go, an installed policy counts only when it is (or links to) a
 * regular file.
 */
export async function listPolicyNames(): Promise<{ name: string; source: 'installed' | 'builtin' }[]> {
  const out = new Map<string, 'installed' | 'builtin'>();
  for (const n of Object.keys(builtinPolicies)) out.set(n, 'builtin');
  let entries: string[] = [];
  try {
    entries = readdirSync(policyDir());
  } catch {
    // No policy directory: only builtins.
  }
  for (const f of entries) {
    const name = f.slice(0, -POLICY_SUFFIX.length);
    if (!f.endsWith(POLICY_SUFFIX) || !POLICY_NAME.test(name)) continue;
    const st = statSync(join(policyDir(), f), { throwIfNoEntry: false });
    if (st?.isFile() === true) out.set(name, 'installed');
  }
  return [...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([name, source]) => ({ name, source }));
}

/**
 * Choose the policy as sigsum-go's tools do: `-p FILE` or `-P NAME` (not
 * both), else a `sigsum-policy="NAME"` from the key file, else none.
 */
export function selectPolicy(opts: { policy?: string; namedPolicy?: string; nameFromKey?: string | undefined }): Policy | undefined {
  if (opts.policy !== undefined && opts.namedPolicy !== undefined) throw usageError('-p (--policy) and -P (--named-policy) cannot be used together');
  if (opts.policy !== undefined) return readPolicyFile(opts.policy);
  if (opts.namedPolicy !== undefined) return namedPolicy(opts.namedPolicy);
  if (opts.nameFromKey !== undefined) return namedPolicy(opts.nameFromKey);
  return undefined;
}

const HEX64 = /^[\t\n\v\f\r ]*([0-9a-fA-F]{64})[\t\n\v\f\r ]*$/;

/**
 * The 32-byte message for submit/verify: SHA-256 of the data by default;
 * with `--raw-hash` the data itself, which must be exactly 32 bytes or 64 hex
 * digits with optional surrounding whitespace (sigsum-go).
 */
export function messageOf(data: Uint8Array, rawHash: boolean, where = 'input'): Uint8Array {
  if (!rawHash) return sha256(data);
  if (data.length === 32) return data.slice();
  if (data.length < 200) {
    const m = HEX64.exec(latin1(data));
    if (m) return fromHex(m[1]!, where, 32);
  }
  throw new ParseError('input.raw-hash', `with --raw-hash the input must be 32 bytes or 64 hex digits, got ${data.length} bytes`, where);
}

/** Read (blocking) a hex value file (signature, hash), trimming surrounding whitespace. */
export function readHexFile(path: string, length: number): Uint8Array {
  return fromHex(readTextFileSync(path, 64 * 1024).trim(), path, length);
}

/** Largest input accepted with --raw-hash (32 bytes, or 64 hex digits with whitespace). */
const MAX_RAW_HASH_INPUT = 4096;

/** SHA-256 of a stream, without holding it in memory. */
async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  // Imported here: a command that never hashes a stream does not load Node's crypto.
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk);
  return new Uint8Array(h.digest());
}

async function readAllBounded(stream: AsyncIterable<Uint8Array>, max: number, where: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const b of stream) {
    n += b.length;
    if (n > max) throw new ParseError('input.raw-hash', `with --raw-hash the input must be 32 bytes or 64 hex digits, got more than ${max} bytes`, where);
    parts.push(b);
  }
  return concatBytes(...parts);
}

/**
 * The 32-byte message of a file or of standard input (`file` undefined):
 * SHA-256 of the contents streamed (any size), or with `rawHash` the
 * contents themselves (see {@link messageOf}).
 */
export async function readMessage(file: string | undefined, rawHash: boolean): Promise<Uint8Array> {
  const where = file ?? 'standard input';
  let fd: number | undefined;
  try {
    const chunks = inputChunks(file === undefined ? 0 : (fd = openSync(file, 'r')));
    if (!rawHash) return await hashStream(chunks);
    return messageOf(await readAllBounded(chunks, MAX_RAW_HASH_INPUT, where), true, where);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${where}: no such file [file.read]`);
    if (code !== undefined && !(e instanceof ParseError)) throw new CliError(`${where}: ${(e as Error).message} [file.read]`);
    throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
