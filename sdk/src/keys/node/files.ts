/**
 * File helpers for keys and other outputs: atomic writes (temporary file in
 * the same directory, fsync, rename) with explicit permissions, and bounded
 * reads so that a wrong path cannot make a tool read gigabytes.
 */
import { close, closeSync, fstat, fstatSync, open, openSync, read, readSync, stat, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ParseError, SigsumError } from '../../errors.js';

// The reads use node:fs's callbacks rather than node:fs/promises, which loads
// readline and Node's streams: a measurable part of a short command's start-up.
function call<T>(start: (cb: (e: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((e, value) => (e === null ? resolve(value) : reject(e))));
}

/** Default bound for key, policy, proof and request files: 1 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 1 << 20;

/** A file that could not be read or written. */
export class FileError extends SigsumError {}

/**
 * Write `data` to `path` atomically: readers see the old file or the whole new
 * one, never a partial write. The file is created with `mode` (0600 for
 * private keys) before any byte is written.
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  // Imported here: commands that write no file load neither Node's crypto nor
  // fs/promises (with readline and streams) at start-up.
  const { randomBytes } = await import('node:crypto');
  const { open, rename, rm } = await import('node:fs/promises');
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx', mode);
  } catch (e) {
    throw new FileError('file.write', (e as Error).message, path);
  }
  try {
    await fh.chmod(mode); // the umask may have removed bits; never added any
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw new FileError('file.write', (e as Error).message, path);
  }
}

/**
 * The bytes of one bounded read, gathered chunk by chunk: the checks that
 * {@link readBoundedFile} and {@link readBoundedFileSync} share. A pipe or
 * FIFO (`<(cat key.pub)`) reports size 0, so the reported size only rejects
 * regular files that are too large up front; reads go on to end of file, at
 * most one byte past the limit (a file that grows meanwhile, or a long pipe,
 * is caught).
 */
class BoundedRead {
  /** Where the next read puts its bytes. */
  readonly buffer: Uint8Array;
  readonly #parts: Uint8Array[] = [];
  #length = 0;
  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    size: number,
  ) {
    if (size > maxBytes) throw new ParseError('file.size', `file of ${size} bytes exceeds the limit of ${maxBytes}`, path);
    this.buffer = new Uint8Array(Math.min(maxBytes + 1, Math.max(size + 1, 64 * 1024)));
  }

  /** How many bytes the next read may ask for. */
  get room(): number {
    return Math.min(this.buffer.length, this.maxBytes + 1 - this.#length);
  }

  /** Keep the `bytesRead` bytes just read into {@link buffer}; false at end of file. */
  add(bytesRead: number): boolean {
    if (bytesRead === 0) return false;
    this.#parts.push(this.buffer.slice(0, bytesRead));
    this.#length += bytesRead;
    if (this.#length > this.maxBytes) throw new ParseError('file.size', `file exceeds the limit of ${this.maxBytes} bytes`, this.path);
    return true;
  }

  /** The whole file. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function openError(e: unknown, path: string): FileError {
  return new FileError('file.read', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, path);
}

function readError(e: unknown, path: string): Error {
  return e instanceof SigsumError ? e : new FileError('file.read', (e as Error).message, path);
}

/**
 * Read a whole file of at most `maxBytes` bytes, to end of file: a pipe or
 * FIFO reports size 0, so the reported size only rejects regular files that
 * are too large up front, and the read stops one byte past the limit.
 * @throws FileError `file.read` when it cannot be read, ParseError `file.size` when it is larger.
 */
export async function readBoundedFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array> {
  let fd: number;
  try {
    fd = await call<number>((cb) => open(path, 'r', cb));
  } catch (e) {
    throw openError(e, path);
  }
  try {
    const into = new BoundedRead(path, maxBytes, (await call<Stats>((cb) => fstat(fd, cb))).size);
    while (into.add(await call<number>((cb) => read(fd, into.buffer, 0, into.room, null, cb)))) {
      // until end of file
    }
    return into.bytes();
  } catch (e) {
    throw readError(e, path);
  } finally {
    await call<void>((cb) => close(fd, cb)).catch(() => undefined);
  }
}

/**
 * {@link readBoundedFile} with blocking reads, for a command-line tool that
 * has nothing else to do meanwhile: each asynchronous step (open, stat,
 * read, close) is a round trip through libuv's thread pool, ≈ 1 ms a small
 * file at a command's start-up (docs/benchmarks.md). Not for servers: a FIFO
 * blocks the event loop until its writer writes.
 * @throws FileError `file.read` when it cannot be read, ParseError `file.size` when it is larger.
 */
export function readBoundedFileSync(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw openError(e, path);
  }
  try {
    const into = new BoundedRead(path, maxBytes, fstatSync(fd).size);
    while (into.add(readSync(fd, into.buffer, 0, into.room, null))) {
      // until end of file
    }
    return into.bytes();
  } catch (e) {
    throw readError(e, path);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // nothing was written; the descriptor is gone either way
    }
  }
}

function utf8Text(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ParseError('file.utf8', 'file is not valid UTF-8', path);
  }
}

/** Read a text file (UTF-8) of at most `maxBytes` bytes. */
export async function readTextFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<string> {
  return utf8Text(await readBoundedFile(path, maxBytes), path);
}

/** {@link readTextFile} with blocking reads (see {@link readBoundedFileSync}: command-line tools only). */
export function readTextFileSync(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): string {
  return utf8Text(readBoundedFileSync(path, maxBytes), path);
}

/** True when `path` exists. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await call<Stats>((cb) => stat(path, cb));
    return true;
  } catch {
    return false;
  }
}
