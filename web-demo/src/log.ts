/**
 * How the demo talks to a log: through the SDK's log client, with the failures
 * a browser user meets (log down, CORS refused, bad answers) turned into plain
 * sentences.
 */
import { HttpError, LogClient, NetworkError, ParseError } from '@sigsum-kit/sdk';
import { stackDefaults } from './stack-defaults.js';

/** Default log URL: `?log=` in the page URL, the local stack's, the last one used, or the reference log's default port. */
export function defaultLogUrl(): string {
  const q = new URLSearchParams(location.search).get('log');
  return q ?? stackDefaults?.logUrl ?? localStorage.getItem('sigsum-kit.log-url') ?? 'http://127.0.0.1:6965/';
}

/** Whether a log was chosen before the page opened (?log=, `npm start`'s stack, or the last visit). */
export function hasPresetLogUrl(): boolean {
  return new URLSearchParams(location.search).get('log') !== null || stackDefaults !== null || localStorage.getItem('sigsum-kit.log-url') !== null;
}

/** Remember the log URL for the next visit. */
export function rememberLogUrl(url: string): void {
  localStorage.setItem('sigsum-kit.log-url', url);
}

/** Check a log URL typed by the user. */
export function checkLogUrl(url: string): string {
  let u: URL;
  try { u = new URL(url); } catch { throw new Error(`log URL "${url}" is not a URL (expected e.g. http://127.0.0.1:6965/)`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`log URL must be http(s), got ${u.protocol}`);
  return u.href.endsWith('/') ? u.href : `${u.href}/`;
}

/**
 * A log client for `url`. One retry only: a person is waiting, and a log that
 * is down should be reported within seconds.
 */
export function logClient(url: string): LogClient {
  return new LogClient({ url: checkLogUrl(url), retries: 1, backoffMs: 200, timeoutMs: 10_000 });
}

/**
 * Plain-language text for a failed log request. A browser gives no detail for
 * network failures: an unreachable log and a CORS refusal look the same
 * ("Failed to fetch"), so the text names both and how to tell them apart.
 */
export function logErrorText(e: unknown, url: string): string {
  if (e instanceof HttpError) {
    return `the log at ${url} answered HTTP ${e.status}${e.serverMessage === '' ? '' : `: ${e.serverMessage}`} (${e.url})`;
  }
  if (e instanceof NetworkError && e.code === 'http.timeout') return `the log at ${url} did not answer in time (${e.url})`;
  if (e instanceof NetworkError && e.code === 'http.network') {
    return `cannot reach the log at ${url}: it is not running, the address is wrong, or it does not allow requests from this page (CORS). ` +
      `Open ${url}get-tree-head in a new tab: if that works, the log's CORS settings block this page.`;
  }
  if (e instanceof ParseError) return `the log at ${url} sent a malformed answer: ${e.message} [${e.code}]`;
  return `log ${url}: ${e instanceof Error ? e.message : String(e)}`;
}
