/**
 * The rate-limit config file (format in docs/rate-limits.md; log-go's
 * `key`/`domain`/`public` allow-lists):
 *
 * ```
 * key    <hex key hash> <limit>
 * domain <domain>       <limit>
 * public [<suffix file>] <limit>
 * ```
 */
import { readFile } from 'node:fs/promises';
import { ParseError, fromHex, toHex } from '@sigsum-kit/sdk';
import { canonicalDomain } from './domain.js';

/** A parsed rate-limit configuration. Limits are unique leaves per 24 hours; 0 blocks. */
export interface RateLimitConfig {
  /** Lower-case hex key hash → limit. */
  readonly keys: ReadonlyMap<string, number>;
  /** Canonical domain (lower-case A-labels) → limit; applies to the domain and all its subdomains. */
  readonly domains: ReadonlyMap<string, number>;
  /** Limit per registered domain for everyone else with a valid token; `undefined` = no public access. */
  readonly publicLimit: number | undefined;
  /** Non-fatal remarks, e.g. an ignored log-go suffix file name. */
  readonly warnings: readonly string[];
}

/** Largest accepted limit (log-go's bound, 2^31 − 1). */
export const MAX_LIMIT = 2 ** 31 - 1;
/** Config files are small allow-lists; anything bigger is a mistake, refused before parsing. */
export const MAX_CONFIG_BYTES = 1 << 20;

function parseLimit(s: string, where: string): number {
  if (!/^[0-9]+$/.test(s)) throw new ParseError('ratelimit.config.limit', `limit ${JSON.stringify(s)} is not an unsigned decimal integer`, where);
  const n = Number(s);
  if (n > MAX_LIMIT) throw new ParseError('ratelimit.config.limit', `limit ${s} is larger than ${MAX_LIMIT}`, where);
  return n;
}

function parseKeyHash(s: string, where: string): string {
  try {
    return toHex(fromHex(s, 'key hash', 32));
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError('ratelimit.config.key-hash', e.message, where);
    throw e;
  }
}

/**
 * Parse a rate-limit config. Strict: unknown keywords, wrong field counts,
 * bad key hashes or domains, bad limits, duplicate entries and a second
 * `public` line are errors naming the line.
 * @throws ParseError with code `ratelimit.config.*` and `where` = `line N`.
 */
export function parseRateLimitConfig(text: string): RateLimitConfig {
  if (text.length > MAX_CONFIG_BYTES) throw new ParseError('ratelimit.config.size', `config larger than ${MAX_CONFIG_BYTES} bytes`);
  const keys = new Map<string, number>();
  const domains = new Map<string, number>();
  const warnings: string[] = [];
  let publicLimit: number | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const where = `line ${i + 1}`;
    const hash = lines[i]!.indexOf('#');
    const content = (hash >= 0 ? lines[i]!.slice(0, hash) : lines[i]!).trim();
    if (content === '') continue;
    const fields = content.split(/[ \t\r\f\v]+/);
    const keyword = fields[0]!;
    switch (keyword) {
      case 'key': {
        if (fields.length !== 3) throw new ParseError('ratelimit.config.fields', `expected "key <key hash> <limit>", got ${fields.length} fields`, where);
        const keyHash = parseKeyHash(fields[1]!, where);
        const limit = parseLimit(fields[2]!, where);
        if (keys.has(keyHash)) throw new ParseError('ratelimit.config.duplicate', `key hash ${keyHash} listed twice`, where);
        keys.set(keyHash, limit);
        break;
      }
      case 'domain': {
        if (fields.length !== 3) throw new ParseError('ratelimit.config.fields', `expected "domain <domain> <limit>", got ${fields.length} fields`, where);
        const domain = canonicalDomain(fields[1]!, where);
        const limit = parseLimit(fields[2]!, where);
        if (domains.has(domain)) throw new ParseError('ratelimit.config.duplicate', `domain ${domain} listed twice`, where);
        domains.set(domain, limit);
        break;
      }
      case 'public': {
        if (fields.length !== 2 && fields.length !== 3) {
          throw new ParseError('ratelimit.config.fields', `expected "public <limit>" or "public <suffix file> <limit>", got ${fields.length} fields`, where);
        }
        if (publicLimit !== undefined) throw new ParseError('ratelimit.config.duplicate', 'only one "public" line is allowed', where);
        publicLimit = parseLimit(fields[fields.length - 1]!, where);
        if (fields.length === 3) {
          warnings.push(`${where}: suffix file ${JSON.stringify(fields[1])} ignored; the public suffix list of the tldts package is used`);
        }
        break;
      }
      default:
        throw new ParseError('ratelimit.config.keyword', `unknown keyword ${JSON.stringify(keyword)} (expected key, domain or public)`, where);
    }
  }
  return { keys, domains, publicLimit, warnings };
}

/**
 * Read and parse a config file.
 * @throws ParseError as {@link parseRateLimitConfig}, prefixed with the path; `Error` if the file cannot be read.
 */
export async function readRateLimitConfig(path: string): Promise<RateLimitConfig> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read rate-limit config: ${(e as Error).message}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new ParseError('ratelimit.config.size', `config larger than ${MAX_CONFIG_BYTES} bytes`, path);
  try {
    return parseRateLimitConfig(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    if (e instanceof ParseError) throw e.within(path);
    if (e instanceof TypeError) throw new ParseError('ratelimit.config.utf8', 'config is not valid UTF-8', path);
    throw e;
  }
}
