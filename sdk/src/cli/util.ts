/** Shared plumbing of the `sigsum` subcommands: exit codes, errors, stdin/stdout, output files. */
import { SigsumError } from '../errors.js';
import { concatBytes } from '../encoding/bytes.js';
import { readSync } from 'node:fs';
import { atomicWriteFile } from '../keys/node/files.js';

/** Exit codes of the `sigsum` command (documented in docs/cli.md). */
export const EXIT = {
  /** Success; for verify commands: the signature or proof is valid. */
  OK: 0,
  /** The operation failed: invalid signature or proof, log unreachable, bad input data. */
  FAILURE: 1,
  /** The command line was wrong: unknown option, missing argument, conflicting options. */
  USAGE: 2,
} as const;

/** An error that ends the command with a message on stderr and the given exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A usage error (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.USAGE);
}

/** Largest standard input accepted by commands that read data to hash: 1 GiB. */
export const MAX_STDIN_BYTES = 1 << 30;

/**
 * The contents of the open file `fd` (standard input by default), chunk by
 * chunk, read with blocking reads: `process.stdin` would load Node's streams
 * (and for a pipe its net module), a good part of a short command's start-up.
 * A non-blocking standard input (EAGAIN) is read through `process.stdin`.
 */
export async function* inputChunks(fd = 0): AsyncGenerator<Uint8Array> {
  for (;;) {
    const buf = new Uint8Array(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || fd !== 0) throw e;
      for await (const chunk of process.stdin) yield chunk as Uint8Array;
      return;
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

/** Read all of standard input, refusing more than `maxBytes`. */
export async function readStdin(maxBytes = MAX_STDIN_BYTES): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of inputChunks()) {
    const b = chunk as Uint8Array;
    n += b.length;
    if (n > maxBytes) throw new CliError(`standard input exceeds the limit of ${maxBytes} bytes`);
    parts.push(b);
  }
  return concatBytes(...parts);
}

/** Write `data` to `file` atomically, or to stdout when `file` is undefined or `-`. */
export async function writeOutput(file: string | undefined, data: string | Uint8Array, mode = 0o644): Promise<void> {
  if (file === undefined || file === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
    return;
  }
  await atomicWriteFile(file, data, mode);
}

/** The message to print for an error: SDK errors with their code, others plainly. */
export function describeError(e: unknown): string {
  if (e instanceof SigsumError) return `${e.message} [${e.code}]`;
  if (e instanceof Error) return e.message;
  return String(e);
}
