/**
 * Domain names for rate limiting: one canonical form (lower-case A-labels) so
 * that a config line, a token header and a public-suffix lookup all compare
 * the same strings, and the registered domain from the public suffix list.
 */
import { domainToASCII } from 'node:url';
import { ParseError } from '@sigsum-kit/sdk';
import { parse as parseDomain } from 'tldts';

/** DNS limits (RFC 1035): 63 octets per label, 253 for the name in text form. */
const MAX_LABEL = 63;
const MAX_NAME = 253;
const ASCII_BAD = /[\u0000-\u002c\u002f\u003a-\u0040\u005b-\u005e\u0060\u007b-\u007f]/;
const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

/**
 * Canonical form of a domain name: Unicode NFKC, lower case, IDNA A-labels,
 * no trailing dot. International names may be given in UTF-8 (as log-go's
 * config allows) or as A-labels; both map to the same string.
 * @throws ParseError (`domain.invalid`) naming `where` for anything that is not a host name.
 */
export function canonicalDomain(name: string, where = 'domain'): string {
  if (name.length === 0 || name.length > 4 * MAX_NAME) throw new ParseError('domain.invalid', 'empty or overlong domain name', where);
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const lowered = trimmed.normalize('NFKC').toLowerCase();
  // domainToASCII parses a URL host, so it would silently cut at '/', ':', '@', ...: only
  // letters, digits, '-', '_' and '.' may be ASCII; anything else must be non-ASCII (an IDN).
  const ascii = ASCII_BAD.test(lowered) ? '' : domainToASCII(lowered);
  if (ascii === '') throw new ParseError('domain.invalid', `${JSON.stringify(name)} is not a valid domain name`, where);
  if (ascii.length > MAX_NAME) throw new ParseError('domain.invalid', `domain name longer than ${MAX_NAME} characters`, where);
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL || !LABEL.test(label)) {
      throw new ParseError('domain.invalid', `${JSON.stringify(name)} has an invalid label ${JSON.stringify(label)}`, where);
    }
  }
  if (labels.length < 2) throw new ParseError('domain.invalid', `${JSON.stringify(name)} is a top-level domain; a registered domain is needed`, where);
  return ascii;
}

/**
 * The registered domain of a canonical name: its public suffix (ICANN or
 * private section of the public suffix list, via `tldts`) plus one label.
 * A name that is itself a public suffix is its own registered domain (as in
 * log-go). Returns `undefined` when the suffix is not on the list at all.
 */
export function registeredDomain(canonical: string): string | undefined {
  const parsed = parseDomain(canonical, { allowPrivateDomains: true, extractHostname: false, validateHostname: false });
  if (!parsed.isIcann && !parsed.isPrivate) return undefined;
  if (parsed.domain !== null) return parsed.domain;
  return parsed.publicSuffix === canonical ? canonical : undefined;
}

/** `name` itself followed by each parent domain, longest first: `a.b.c` → `a.b.c`, `b.c`, `c`. */
export function* domainAndParents(canonical: string): Generator<string> {
  let s = canonical;
  for (;;) {
    yield s;
    const dot = s.indexOf('.');
    if (dot < 0) return;
    s = s.slice(dot + 1);
  }
}
