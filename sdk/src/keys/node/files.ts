/**
 * File helpers for keys and other outputs: atomic writes (temporary file in
 * the same directory, fsync, rename) with explicit permissions, and bounded
 * reads so that a wrong path cannot make a tool read gigabytes.
 */
import { close, fstat, open, read, stat, type Stats } from 'node:fs';
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
 * Read a whole file of at most `maxBytes` bytes, to end of file: a pipe or
 * FIFO (`<(cat key.pub)`) reports size 0, so the reported size only rejects
 * regular files that are too large up front.
 * @throws FileError `file.read` when it cannot be read, ParseError `file.size` when it is larger.
 */
export async function readBoundedFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array> {
  let fd: number;
  try {
    fd = await call<number>((cb) => open(path, 'r', cb));
  } catch (e) {
    throw new FileError('file.read', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, path);
  }
  try {
    const st = await call<Stats>((cb) => fstat(fd, cb));
    if (st.size > maxBytes) throw new ParseError('file.size', `file of ${st.size} bytes exceeds the limit of ${maxBytes}`, path);
    // Read until end of file, at most one byte past the limit (a file that grows meanwhile, or a long pipe, is caught).
    const parts: Uint8Array[] = [];
    let n = 0;
    const buf = new Uint8Array(Math.min(maxBytes + 1, Math.max(st.size + 1, 64 * 1024)));
    for (;;) {
      const bytesRead = await call<number>((cb) => read(fd, buf, 0, Math.min(buf.length, maxBytes + 1 - n), null, cb));
      if (bytesRead === 0) break;
      parts.push(buf.slice(0, bytesRead));
      n += bytesRead;
      if (n > maxBytes) throw new ParseError('file.size', `file exceeds the limit of ${maxBytes} bytes`, path);
    }
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  } catch (e) {
    if (e instanceof SigsumError) throw e;
    throw new FileError('file.read', (e as Error).message, path);
  } finally {
    await call<void>((cb) => close(fd, cb)).catch(() => undefined);
  }
}

/** Read a text file (UTF-8) of at most `maxBytes` bytes. */
export async function readTextFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<string> {
  const b = await readBoundedFile(path, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new ParseError('file.utf8', 'file is not valid UTF-8', path);
  }
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
