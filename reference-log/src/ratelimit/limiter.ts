/**
 * The add-leaf rate limiter: decides which allow-list rule applies to a
 * submission (key hash, then longest matching domain, then public access per
 * registered domain), verifies the submit token when a domain rule is
 * needed, and counts unique leaves per rule over a sliding 24-hour window.
 */
import { ParseError, SigsumError, toHex } from '@sigsum-kit/sdk';
import type { RateLimitConfig } from './config.js';
import type { TxtResolver } from './dns.js';
import { DnsError } from '../errors.js';
import { domainAndParents, registeredDomain } from './domain.js';
import { parseSubmitTokenHeader, tokenTxtName, verifySubmitToken } from './token.js';

/** Length of the counting window. */
export const RATE_LIMIT_WINDOW_MS = 24 * 60 * 60 * 1000;
/** log-go's public test domain; its private key is public, so it is blocked unless enabled. */
export const TEST_DOMAIN = 'test.sigsum.org';

/** Outcome of a decision, also the `decision` label of `sigsum_log_rate_limit_decisions_total`. */
export type RateLimitDecision = 'allowed' | 'duplicate' | 'over_limit' | 'no_rule' | 'bad_token' | 'dns_error';
/** The rule that decided, also the `rule` label of the metric. `none` when no limits apply or none matched. */
export type RateLimitRule = 'key' | 'domain' | 'public' | 'none';

/** One add-leaf request as the limiter sees it. */
export interface RateLimitRequest {
  /** SHA-256 of the submitter's public key (the leaf's key hash). */
  submitterKeyHash: Uint8Array;
  /** The leaf hash; a leaf is counted once per window however often it is submitted. */
  leafHash: Uint8Array;
  /** Raw value of the `sigsum-token` header, if the request had one. */
  tokenHeader?: string | undefined;
}

/** The request may proceed. */
export interface RateLimitAllowed {
  readonly allowed: true;
  /** `allowed`: counted now; `duplicate`: the leaf was counted earlier in the window. */
  readonly decision: 'allowed' | 'duplicate';
  /** The rule whose quota the leaf counts against. */
  readonly rule: RateLimitRule;
  /** Whether this request consumed quota (false for repeats of a counted leaf and when there are no limits). */
  readonly counted: boolean;
  /**
   * Give the quota back, e.g. when the leaf later turns out to be in the log
   * already or the request fails before the leaf is stored. Idempotent.
   */
  release(): void;
}

/** The request must be refused with `status` and `message` (plain text for the response body). */
export interface RateLimitRefused {
  readonly allowed: false;
  /** 429 when a quota is used up (or is 0), 403 when the submitter cannot be admitted at all. */
  readonly status: 403 | 429;
  /** One line of plain text saying why. */
  readonly message: string;
  /** Why, for metrics. */
  readonly decision: Exclude<RateLimitDecision, 'allowed' | 'duplicate'>;
  /** The rule that applied, `none` if none did. */
  readonly rule: RateLimitRule;
}

/** Result of {@link RateLimiter.check}. */
export type RateLimitResult = RateLimitAllowed | RateLimitRefused;

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** The log's Ed25519 public key (tokens sign it). */
  logPublicKey: Uint8Array;
  /** TXT look-ups for token keys (e.g. `createDnsTxtResolver({ server })`). */
  resolver: TxtResolver;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Allow tokens for log-go's public test domain `test.sigsum.org` (blocked by default). */
  enableTestDomain?: boolean;
  /** Called once per decision (e.g. to increment the rate-limit metric). */
  onDecision?: (decision: RateLimitDecision, rule: RateLimitRule) => void;
}

/** Usage of one counter, for status pages and tests. */
export interface RateLimitUsage {
  /** `key:<hex>`, `domain:<name>` or `public:<registered domain>`. */
  readonly counter: string;
  /** Leaves counted in the last 24 hours. */
  readonly used: number;
}

/** The rate limiter of one log. */
export interface RateLimiter {
  /** Decide on one add-leaf request. Token and DNS failures become a {@link RateLimitRefused} (403), never a rejection. */
  check(request: RateLimitRequest): Promise<RateLimitResult>;
  /** Current counts (after expiring entries older than the window). */
  usage(): RateLimitUsage[];
  /** Whether any limits are configured. */
  readonly enabled: boolean;
}

interface Target {
  readonly rule: RateLimitRule;
  /** Counter key, e.g. `domain:example.org`. */
  readonly counter: string;
  /** Human description for messages. */
  readonly what: string;
  readonly limit: number;
}

interface Entry {
  readonly leaf: string;
  readonly counter: string;
  readonly rule: RateLimitRule;
  readonly at: number;
}

const NOOP = (): void => {};

/** The message of an error without its `where: ` prefix (when the caller's message already names the place). */
function withoutWhere(e: SigsumError): string {
  return e.detail;
}

/**
 * Create a limiter. With `config` undefined there are no limits: every
 * request is allowed and tokens are not looked at.
 */
export function createRateLimiter(config: RateLimitConfig | undefined, options: RateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const onDecision = options.onDecision ?? NOOP;
  if (config === undefined) {
    return {
      enabled: false,
      usage: () => [],
      async check() {
        onDecision('allowed', 'none');
        return { allowed: true, decision: 'allowed', rule: 'none', counted: false, release: NOOP };
      },
    };
  }
  const domains = config.domains;

  // Counted leaves in arrival order; `byLeaf` holds the live entry of each leaf.
  const queue: Entry[] = [];
  let head = 0;
  const byLeaf = new Map<string, Entry>();
  const counts = new Map<string, number>();

  function drop(entry: Entry): void {
    byLeaf.delete(entry.leaf);
    const n = (counts.get(entry.counter) ?? 1) - 1;
    if (n <= 0) counts.delete(entry.counter);
    else counts.set(entry.counter, n);
  }

  function expire(): void {
    const cutoff = now() - RATE_LIMIT_WINDOW_MS;
    while (head < queue.length && queue[head]!.at <= cutoff) {
      const entry = queue[head++]!;
      if (byLeaf.get(entry.leaf) === entry) drop(entry);
    }
    // Compact once the consumed prefix dominates, keeping the queue O(live entries).
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  }

  function refuse(status: 403 | 429, decision: RateLimitRefused['decision'], rule: RateLimitRule, message: string): RateLimitRefused {
    onDecision(decision, rule);
    return { allowed: false, status, message, decision, rule };
  }

  function domainTarget(domain: string): Target | undefined {
    // The test domain's ban overrides rules for its parents, so check it first.
    if (!options.enableTestDomain && (domain === TEST_DOMAIN || domain.endsWith(`.${TEST_DOMAIN}`))) {
      return { rule: 'domain', counter: `domain:${TEST_DOMAIN}`, what: `domain ${TEST_DOMAIN}`, limit: 0 };
    }
    for (const candidate of domainAndParents(domain)) {
      const limit = domains.get(candidate);
      if (limit !== undefined) return { rule: 'domain', counter: `domain:${candidate}`, what: `domain ${candidate}`, limit };
    }
    return undefined;
  }

  function count(target: Target, leaf: string): RateLimitResult {
    // Re-checked here, after the awaits, so concurrent requests for one leaf count it once.
    const seen = byLeaf.get(leaf);
    if (seen !== undefined) {
      onDecision('duplicate', seen.rule);
      return { allowed: true, decision: 'duplicate', rule: seen.rule, counted: false, release: NOOP };
    }
    const used = counts.get(target.counter) ?? 0;
    if (target.limit === 0) {
      return refuse(429, 'over_limit', target.rule, `rate limit: submissions for ${target.what} are blocked (limit 0)`);
    }
    if (used >= target.limit) {
      return refuse(429, 'over_limit', target.rule, `rate limit exceeded for ${target.what}: ${used} of ${target.limit} leaves in the last 24 hours; try again later`);
    }
    const entry: Entry = { leaf, counter: target.counter, rule: target.rule, at: now() };
    queue.push(entry);
    byLeaf.set(leaf, entry);
    counts.set(target.counter, used + 1);
    onDecision('allowed', target.rule);
    return {
      allowed: true,
      decision: 'allowed',
      rule: target.rule,
      counted: true,
      release: () => {
        if (byLeaf.get(leaf) === entry) drop(entry);
      },
    };
  }

  async function check(request: RateLimitRequest): Promise<RateLimitResult> {
    expire();
    const leaf = toHex(request.leafHash);
    const seen = byLeaf.get(leaf);
    if (seen !== undefined) {
      // A repeat of a counted leaf (the usual 202-then-poll pattern) is free and needs no token check.
      onDecision('duplicate', seen.rule);
      return { allowed: true, decision: 'duplicate', rule: seen.rule, counted: false, release: NOOP };
    }
    const keyHash = toHex(request.submitterKeyHash);
    const keyLimit = config!.keys.get(keyHash);
    if (keyLimit !== undefined) {
      return count({ rule: 'key', counter: `key:${keyHash}`, what: `submitter key hash ${keyHash}`, limit: keyLimit }, leaf);
    }
    const header = request.tokenHeader;
    if (header === undefined || header === '') {
      return refuse(403, 'no_rule', 'none', `submitter key hash ${keyHash} is not on the rate-limit allow-list and the request has no sigsum-token header`);
    }
    let token;
    try {
      token = parseSubmitTokenHeader(header);
    } catch (e) {
      if (e instanceof ParseError) return refuse(403, 'bad_token', 'none', `invalid sigsum-token header: ${e.message}`);
      throw e;
    }
    // Pick the rule before the DNS look-up: a domain that no rule admits is refused without querying.
    let target = domainTarget(token.domain);
    if (target === undefined) {
      if (config!.publicLimit === undefined) {
        return refuse(403, 'no_rule', 'none', `domain ${token.domain} is not on the rate-limit allow-list and public submissions are disabled`);
      }
      const registered = registeredDomain(token.domain);
      if (registered === undefined) {
        return refuse(403, 'no_rule', 'none', `domain ${token.domain} does not end in a known public suffix`);
      }
      target = { rule: 'public', counter: `public:${registered}`, what: `registered domain ${registered}`, limit: config!.publicLimit };
    }
    // A blocked target is refused whatever the token says: no DNS query for it.
    if (target.limit === 0) return count(target, leaf);
    try {
      await verifySubmitToken(token, options.logPublicKey, options.resolver);
    } catch (e) {
      if (e instanceof DnsError) {
        return refuse(403, 'dns_error', target.rule, `sigsum-token for ${token.domain} could not be verified: DNS look-up of ${tokenTxtName(token.domain)} failed: ${withoutWhere(e)}`);
      }
      if (e instanceof SigsumError) return refuse(403, 'bad_token', target.rule, `sigsum-token for ${token.domain} is not valid: ${e.message}`);
      throw e;
    }
    expire();
    return count(target, leaf);
  }

  return {
    enabled: true,
    check,
    usage() {
      expire();
      return [...counts].map(([counter, used]) => ({ counter, used }));
    },
  };
}
