/**
 * A real full disk for process tests: a small tmpfs mounted on a directory
 * (needs root, as in CI; without it the mount fails and so does the test).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A mounted tmpfs that can be filled up and freed again. */
export interface SmallDisk {
  /** The mount point. */
  dir: string;
  /** Write a filler file until the file system is full (ENOSPC). */
  fill(): void;
  /** Delete the filler file. */
  free(): void;
  /** Unmount (lazily, so open files of a killed process do not block it). */
  unmount(): void;
}

/** Mount a tmpfs of `sizeBytes` on `dir` (created if missing). */
export function mountSmallDisk(dir: string, sizeBytes: number): SmallDisk {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot mount a tmpfs on ${dir} (the full-disk tests need root): ${r.stderr || r.error?.message}`);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 0x55);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      spawnSync('umount', ['-l', dir]);
    },
  };
}
