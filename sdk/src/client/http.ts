/**
 * The HTTP layer shared by the log client and submit: one request with a
 * per-attempt timeout, caller cancellation, bounded body reading, and retries
 * with exponential backoff for the failures that are worth retrying. Built on
 * ky; runs unchanged in Node and browsers (global `fetch`).
 */
import ky from 'ky';
import { SigsumError } from '../errors.js';
import { concatBytes, latin1 } from '../encoding/bytes.js';

/** An HTTP request that got a response with an unexpected status; `code` is `http.<status>`. */
export class HttpError extends SigsumError<`http.${number}`> {
  /** The HTTP status code. */
  readonly status: number;
  /** The request URL. */
  readonly url: string;
  /** The server's message (the response body, trimmed and cut to 500 characters). */
  readonly serverMessage: string;
  constructor(status: number, url: string, serverMessage: string) {
    super(`http.${status}`, `HTTP ${status}${serverMessage === '' ? '' : `: ${serverMessage}`}`, url);
    this.status = status;
    this.url = url;
    this.serverMessage = serverMessage;
  }
}

/** Why a request got no usable response. */
export type NetworkErrorCode = 'http.network' | 'http.timeout' | 'http.body-size';

/** A request that got no usable response: connection failure, timeout or an oversized body. */
export class NetworkError extends SigsumError<NetworkErrorCode> {
  /** The request URL. */
  readonly url: string;
  constructor(code: NetworkErrorCode, message: string, url: string, options?: { cause?: unknown }) {
    super(code, message, url);
    this.url = url;
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * Whether `e` says the server could not be asked (no usable response, or an
 * error status) rather than that it answered something wrong.
 */
export function isTransportError(e: unknown): e is HttpError | NetworkError {
  return e instanceof HttpError || e instanceof NetworkError;
}

/** Retry behaviour of the log and witness clients' HTTP requests. */
export interface RetryPolicy {
  /** Attempts after the first one (default 3; 0 disables retries). */
  retries?: number;
  /** Delay before the first retry in ms; doubles each time (default 250). */
  backoffMs?: number;
  /** Largest delay between attempts in ms (default 5 000). */
  maxBackoffMs?: number;
  /** Also retry when the server answers 202 Accepted (default false). */
  retryAccepted?: boolean;
}

/** Options common to every request. */
export interface RequestOptions extends RetryPolicy {
  /** Cancels the request (and any backoff wait); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Time allowed for each attempt, including reading the body, in ms (default 30 000). */
  timeoutMs?: number;
}

/** Everything {@link httpRequest} needs beyond {@link RequestOptions}. */
export interface HttpRequest extends RequestOptions {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  headers?: Record<string, string>;
  /** Largest accepted response body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** Statuses returned to the caller instead of thrown (default 200 only). */
  okStatuses?: readonly number[];
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** The part of a response the clients use. */
export interface HttpResponse {
  status: number;
  /** Raw body bytes (at most `maxBodyBytes`). */
  body: Uint8Array;
  headers: Headers;
}

/** Default per-attempt timeout. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default response body limit. */
export const DEFAULT_MAX_BODY_BYTES = 4 << 20;
const MESSAGE_LIMIT = 500;

/** Sleep for `ms`, rejecting with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Read a body, refusing more than `max` bytes without buffering them. */
async function readBounded(res: Response, max: number, url: string): Promise<Uint8Array> {
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new NetworkError('http.body-size', `response body of ${declared} bytes exceeds the limit of ${max}`, url);
  }
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      throw new NetworkError('http.body-size', `response body exceeds the limit of ${max} bytes`, url);
    }
    parts.push(value);
  }
  return concatBytes(...parts);
}

/** The server's message for an error response: printable text, trimmed and bounded. */
export function serverMessage(body: Uint8Array): string {
  const text = latin1(body.subarray(0, MESSAGE_LIMIT * 4))
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?')
    .trim();
  return text.length > MESSAGE_LIMIT ? text.slice(0, MESSAGE_LIMIT) + '…' : text;
}

/** `fetch failed: connect ECONNREFUSED …` rather than just `fetch failed`. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== '' ? `${e.message}: ${cause.message}` : e.message;
}

function retryable(status: number, retryAccepted: boolean): boolean {
  return status >= 500 || (retryAccepted && status === 202);
}

/**
 * Send one HTTP request, retrying network errors, timeouts and 5xx (and 202
 * when `retryAccepted`) with exponential backoff and jitter.
 *
 * @returns the response when its status is in `okStatuses`.
 * @throws HttpError for any other status (after retries for retryable ones).
 * @throws NetworkError `http.network`, `http.timeout` or `http.body-size`.
 * @throws the signal's reason when `signal` aborts.
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const retries = req.retries ?? 3;
  const base = req.backoffMs ?? 250;
  const maxDelay = req.maxBackoffMs ?? 5_000;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const ok = req.okStatuses ?? [200];
  const retryAccepted = req.retryAccepted ?? false;

  for (let attempt = 0; ; attempt++) {
    req.signal?.throwIfAborted();
    let failure: SigsumError;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await ky(req.url, {
        method: req.method,
        body: req.body,
        headers: req.headers,
        signal: controller.signal,
        timeout: false, // our timer also covers reading the body
        retry: 0, // retries are ours: ky does not retry POST nor 202
        throwHttpErrors: false,
        ...(req.fetch ? { fetch: req.fetch } : {}),
      });
      const body = await readBounded(res, maxBody, req.url);
      if (ok.includes(res.status)) return { status: res.status, body, headers: res.headers };
      failure = new HttpError(res.status, req.url, serverMessage(body));
      if (!retryable(res.status, retryAccepted)) throw failure;
    } catch (e) {
      if (req.signal?.aborted) throw req.signal.reason;
      if (e instanceof HttpError && !retryable(e.status, retryAccepted)) throw e;
      if (e instanceof NetworkError && e.code === 'http.body-size') throw e;
      if (e instanceof HttpError) failure = e;
      else if (timedOut) failure = new NetworkError('http.timeout', `no complete response within ${timeoutMs} ms`, req.url);
      else failure = new NetworkError('http.network', describe(e), req.url, { cause: e });
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
    if (attempt >= retries) throw failure;
    const d = Math.min(maxDelay, base * 2 ** attempt);
    // Half fixed, half random: spreads out clients that failed together.
    await sleep(d / 2 + Math.random() * (d / 2), req.signal);
  }
}
