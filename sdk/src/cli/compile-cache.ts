/**
 * Runs one of the bundled `sigsum` files (CommonJS, sdk/dist/bin/) with V8's
 * code cache, which Node 20 has no switch for (`module.enableCompileCache`
 * came in Node 22): the first run compiles the file and, once the command has
 * run, saves V8's code for every function it compiled; later runs hand that
 * back to V8 instead of parsing and compiling again. Only the bundle's
 * launcher uses this (see scripts/bundle-cli.mjs).
 *
 * A cache file holds code that the process will run, so it is used only from
 * a directory that is the user's own and that nobody else can write to:
 * `$XDG_CACHE_HOME/sigsum-kit` (absolute paths only) or `~/.cache/sigsum-kit`,
 * created 0700; files are written 0600, whole (temporary file, rename).
 * Anything else (another owner, group- or world-writable, a symbolic link, no
 * HOME, no POSIX user ids) means running without a cache. The file name
 * carries the bundle's build id (a hash of its text, taken when it is built)
 * and the V8 version; V8 itself refuses data made by another V8 version, with
 * other flags or for a source of another length, and the file is then made
 * again. `SIGSUM_NO_COMPILE_CACHE=1` or Node's `NODE_DISABLE_COMPILE_CACHE=1`
 * turns it off.
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Whether `st` is owned by this process's user and writable by nobody else. */
function ownedAndPrivate(st: Stats, uid: number): boolean {
  return st.uid === uid && (st.mode & 0o022) === 0;
}

/**
 * The cache directory to use, created if missing, or undefined when there is
 * no safe one (see the module comment).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SIGSUM_NO_COMPILE_CACHE === '1' || env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const xdg = env.XDG_CACHE_HOME;
  const home = env.HOME;
  const base = xdg?.startsWith('/') === true ? xdg : home?.startsWith('/') === true ? join(home, '.cache') : undefined;
  if (base === undefined) return undefined;
  const dir = join(base, 'sigsum-kit');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && ownedAndPrivate(st, uid) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The cached data in `path` if it is a regular file of this user that nobody else can write. */
function readCacheFile(path: string, uid: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || !ownedAndPrivate(st, uid)) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write `data` to `path` whole (temporary file, rename) and drop this bundle's older cache files. */
function writeCacheFile(dir: string, path: string, data: Buffer, stalePrefix: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    const name = path.slice(dir.length + 1);
    for (const f of readdirSync(dir)) if (f.startsWith(stalePrefix) && f.endsWith('.v8') && f !== name) rmSync(join(dir, f), { force: true });
  } catch {
    rmSync(tmp, { force: true });
  }
}

/**
 * Run the CommonJS file `file` (its text already read) as Node would, with
 * V8's code cache kept under `cacheName` and the build id `buildId`.
 * @param file - absolute path of the bundle (for `require`, stack traces)
 * @param cacheName - a name for this bundle, unique among the bundles
 * @param buildId - changes whenever the bundle's text changes
 */
export function runWithCompileCache(file: string, cacheName: string, buildId: string): void {
  const source = readFileSync(file, 'utf8');
  const dir = compileCacheDir();
  const uid = process.getuid?.() ?? -1;
  const cacheFile = dir === undefined ? undefined : join(dir, `${cacheName}-${buildId}-${process.versions.v8}-${process.arch}.v8`);
  const cachedData = cacheFile === undefined ? undefined : readCacheFile(cacheFile, uid);
  const script = new Script(source, { filename: file, cachedData });
  if (dir !== undefined && cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // Saved once the command is done, so that the cache holds every function this run compiled.
    process.once('beforeExit', () => writeCacheFile(dir, cacheFile, script.createCachedData(), `${cacheName}-`));
  }
  const fn = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = { exports: {} };
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}
