/**
 * A PKCS#11 key used from a worker thread, with a time limit per signature.
 *
 * The binding's calls are synchronous except C_Sign; a token that stops
 * answering (a network HSM behind a dead link, a wedged USB device) would
 * otherwise freeze the event loop, and with it the reads that must keep
 * being served from the last published head. Here every call into the
 * module runs on one worker thread; the main thread only waits, at most
 * `signTimeoutMs` per signature. A request that times out leaves the worker
 * busy: until it answers, further signatures fail at once (`pkcs11.timeout`)
 * without queueing more work behind it. When it answers, signing resumes
 * (the worker's signer reopens the session itself after a token error).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Signer } from '@sigsum-kit/sdk';
import { Pkcs11SignerError } from '@sigsum-kit/sdk/node';
import type { WireError } from './token-signer-worker.js';

/** Default time allowed for one signature by a token, ms. */
export const DEFAULT_SIGN_TIMEOUT_MS = 10_000;

/** Options of {@link openTokenSigner}. */
export interface TokenSignerOptions {
  /** The key the token must hold (opening fails with `pkcs11.key-mismatch` otherwise). */
  expectedPublicKey?: Uint8Array;
  /** Time allowed for one signature, ms (default {@link DEFAULT_SIGN_TIMEOUT_MS}). */
  signTimeoutMs?: number;
  /** Time allowed for opening the token (load, login, self-test), ms (default 30 s). */
  openTimeoutMs?: number;
}

/** A signer whose key is in a PKCS#11 token, driven from a worker thread. */
export interface TokenSigner extends Signer {
  /** Problems with the key's attributes found at open (extractable, not sensitive). */
  readonly warnings: readonly string[];
  /** The URI without anything secret. */
  readonly uri: string;
  /** Stop the worker. */
  close(): Promise<void>;
}

type Reply =
  | { kind: 'open'; publicKey: Uint8Array; warnings: string[]; uri: string }
  | { kind: 'open-error'; error: WireError }
  | { kind: 'signed'; id: number; signature: Uint8Array }
  | { kind: 'sign-error'; id: number; error: WireError };

function unwire(e: WireError): Error {
  if (e.code !== undefined) {
    const err = new Pkcs11SignerError(e.code, e.detail, e.where);
    err.name = e.name;
    return err;
  }
  return new Error(e.detail);
}

/** The compiled worker beside this module (dist/), also when this module runs from src/ under a test runner. */
function workerUrl(): URL {
  const here = new URL('./token-signer-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../dist/token-signer-worker.js', import.meta.url);
}

/**
 * Open the key a `pkcs11:` URI names in a worker thread (the same checks as
 * `Pkcs11Signer.open`: token, PIN, key type, key pair, expected key).
 * @throws Pkcs11SignerError (`pkcs11.*`), also `pkcs11.timeout` when opening hangs.
 */
export async function openTokenSigner(uri: string, opts: TokenSignerOptions = {}): Promise<TokenSigner> {
  const signTimeoutMs = opts.signTimeoutMs ?? DEFAULT_SIGN_TIMEOUT_MS;
  const worker = new Worker(workerUrl(), { workerData: { uri, expectedPublicKey: opts.expectedPublicKey } });
  // A worker stuck in the token must not keep the process alive at shutdown.
  worker.unref();
  const waiting = new Map<number, { resolve: (s: Uint8Array) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  let dead: Error | undefined;
  let opened: ((r: Reply) => void) | undefined;
  let nextId = 0;
  /** The request that timed out and still occupies the worker. */
  let stuck: { id: number; since: number } | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  worker.on('message', (r: Reply) => {
    if (r.kind === 'open' || r.kind === 'open-error') {
      opened?.(r);
      return;
    }
    if (stuck?.id === r.id) stuck = undefined;
    const w = waiting.get(r.id);
    if (w === undefined) return; // answered after its timeout: only frees the worker
    waiting.delete(r.id);
    clearTimeout(w.timer);
    if (r.kind === 'signed') w.resolve(new Uint8Array(r.signature));
    else w.reject(unwire(r.error));
  });
  const onGone = (e: Error): void => {
    dead ??= new Pkcs11SignerError('pkcs11.worker', `the token's worker thread stopped: ${e.message}`, uri);
    stuck = undefined;
    for (const [id, w] of waiting) {
      clearTimeout(w.timer);
      w.reject(dead);
      waiting.delete(id);
    }
    opened?.({ kind: 'open-error', error: { name: 'Pkcs11SignerError', code: 'pkcs11.worker', detail: dead.message, where: undefined } });
  };
  worker.on('error', onGone);
  worker.on('exit', (code) => onGone(new Error(`exit code ${code}`)));

  const first = await new Promise<Reply>((resolve) => {
    const openTimeoutMs = opts.openTimeoutMs ?? 30_000;
    const timer = setTimeout(
      () => resolve({ kind: 'open-error', error: { name: 'Pkcs11SignerError', code: 'pkcs11.timeout', detail: `the token did not open within ${openTimeoutMs} ms`, where: undefined } }),
      openTimeoutMs,
    );
    opened = (r) => {
      clearTimeout(timer);
      resolve(r);
    };
  });
  opened = undefined;
  if (first.kind !== 'open') {
    void worker.terminate();
    throw first.kind === 'open-error' ? unwire(first.error) : new Error('unexpected answer from the token worker');
  }

  const publicKey = new Uint8Array(first.publicKey);

  const request = (message: Uint8Array): Promise<Uint8Array> => {
    if (dead !== undefined) return Promise.reject(dead);
    if (stuck !== undefined) {
      const s = Math.round((Date.now() - stuck.since) / 1000);
      return Promise.reject(new Pkcs11SignerError('pkcs11.timeout', `the token has not answered a signing request for ${s} s (signTimeoutMs ${signTimeoutMs}); nothing is signed until it does`, uri));
    }
    const id = ++nextId;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        stuck = { id, since: Date.now() - signTimeoutMs };
        reject(new Pkcs11SignerError('pkcs11.timeout', `the token did not answer a signing request within ${signTimeoutMs} ms (signTimeoutMs); nothing is signed until it does`, uri));
      }, signTimeoutMs);
      waiting.set(id, { resolve, reject, timer });
      worker.postMessage({ id, message });
    });
  };

  return {
    publicKey,
    warnings: first.warnings,
    uri: first.uri,
    sign(message: Uint8Array): Promise<Uint8Array> {
      const run = queue.then(() => request(message));
      queue = run.catch(() => undefined);
      return run;
    },
    async close(): Promise<void> {
      dead ??= new Pkcs11SignerError('pkcs11.closed', 'the signer is closed', uri);
      // terminate() cannot interrupt a call stuck in the module; do not wait for it then.
      if (stuck === undefined) await worker.terminate();
      else void worker.terminate();
    },
  };
}
