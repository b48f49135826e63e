import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ParseError } from '@sigsum-kit/sdk';
import { parseConfig } from '../src/cli/config.js';
import { MAX_CONFIG_BYTES, canonicalDomain, parseRateLimitConfig, parseSubmitTokenHeader, readRateLimitConfig, registeredDomain } from '../src/ratelimit/index.js';
import { parseErrorOf } from '../../sdk/test/parse-error.js';

const HASH = 'aa'.repeat(32);

const parseError = (text: string): ParseError => parseErrorOf(() => parseRateLimitConfig(text));

describe('parseRateLimitConfig', () => {
  it('parses key, domain and public lines with comments and blank lines', () => {
    const config = parseRateLimitConfig(
      [`# allow-lists`, ``, `key ${HASH.toUpperCase()} 100   # CI key`, `domain Example.ORG 50`, `\tdomain bücher.example 7\r`, `public 10`].join('\n'),
    );
    expect([...config.keys]).toEqual([[HASH, 100]]);
    expect([...config.domains]).toEqual([
      ['example.org', 50],
      ['xn--bcher-kva.example', 7],
    ]);
    expect(config.publicLimit).toBe(10);
    expect(config.warnings).toEqual([]);
  });

  it('an empty config has no rules and no public access', () => {
    const config = parseRateLimitConfig('# nothing\n\n');
    expect(config.keys.size).toBe(0);
    expect(config.domains.size).toBe(0);
    expect(config.publicLimit).toBeUndefined();
  });

  it("accepts log-go's `public <suffix file> <limit>` and warns that the file is ignored", () => {
    const config = parseRateLimitConfig('public /etc/public_suffix_list.dat 0\n');
    expect(config.publicLimit).toBe(0);
    expect(config.warnings).toEqual(['line 1: suffix file "/etc/public_suffix_list.dat" ignored; the public suffix list of the tldts package is used']);
  });

  it('accepts limit 0 and the largest limit', () => {
    expect(parseRateLimitConfig(`key ${HASH} 0`).keys.get(HASH)).toBe(0);
    expect(parseRateLimitConfig(`key ${HASH} 2147483647`).keys.get(HASH)).toBe(2147483647);
  });

  const bad: [string, string, string][] = [
    ['allow example.org 5', 'ratelimit.config.keyword', 'line 1: unknown keyword "allow" (expected key, domain or public)'],
    ['\n\nkey abc', 'ratelimit.config.fields', 'line 3: expected "key <key hash> <limit>", got 2 fields'],
    ['domain a.example 1 2', 'ratelimit.config.fields', 'line 1: expected "domain <domain> <limit>", got 4 fields'],
    ['public', 'ratelimit.config.fields', 'line 1: expected "public <limit>" or "public <suffix file> <limit>", got 1 fields'],
    [`key ${HASH} -1`, 'ratelimit.config.limit', 'line 1: limit "-1" is not an unsigned decimal integer'],
    [`key ${HASH} +1`, 'ratelimit.config.limit', 'line 1: limit "+1" is not an unsigned decimal integer'],
    [`key ${HASH} 1.5`, 'ratelimit.config.limit', 'line 1: limit "1.5" is not an unsigned decimal integer'],
    [`key ${HASH} 2147483648`, 'ratelimit.config.limit', 'line 1: limit 2147483648 is larger than 2147483647'],
    ['key aabb 1', 'ratelimit.config.key-hash', 'line 1: key hash: expected 32 bytes (64 hex digits), got 4 characters'],
    [`key ${'zz'.repeat(32)} 1`, 'ratelimit.config.key-hash', 'line 1: key hash: invalid hex character "z" at offset 0'],
    [`key ${HASH} 1\nkey ${HASH.toUpperCase()} 2`, 'ratelimit.config.duplicate', `line 2: key hash ${HASH} listed twice`],
    ['domain a.example 1\ndomain A.EXAMPLE. 2', 'ratelimit.config.duplicate', 'line 2: domain a.example listed twice'],
    ['public 1\npublic 2', 'ratelimit.config.duplicate', 'line 2: only one "public" line is allowed'],
    ['domain org 5', 'domain.invalid', 'line 1: "org" is a top-level domain; a registered domain is needed'],
    ['domain a..example 5', 'domain.invalid', 'line 1: "a..example" has an invalid label ""'],
    ['domain -a.example 5', 'domain.invalid', 'line 1: "-a.example" has an invalid label "-a"'],
    ['domain a/b.example 5', 'domain.invalid', 'line 1: "a/b.example" is not a valid domain name'],
    [`domain ${'a'.repeat(64)}.example 5`, 'domain.invalid', `line 1: "${'a'.repeat(64)}.example" has an invalid label "${'a'.repeat(64)}"`],
  ];
  it.each(bad)('rejects %j', (text, code, message) => {
    const e = parseError(text);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('refuses an oversized config before parsing', () => {
    const e = parseError('#'.repeat(MAX_CONFIG_BYTES + 1));
    expect(e.code).toBe('ratelimit.config.size');
    expect(e.message).toBe(`config larger than ${MAX_CONFIG_BYTES} bytes`);
  });
});

describe('readRateLimitConfig', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and names it in errors', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ratelimit-config-'));
    const good = join(dir, 'good.conf');
    await writeFile(good, `key ${HASH} 3\n`);
    expect((await readRateLimitConfig(good)).keys.get(HASH)).toBe(3);
    const bad = join(dir, 'bad.conf');
    await writeFile(bad, 'public x\n');
    await expect(readRateLimitConfig(bad)).rejects.toThrow(`${bad}: line 1: limit "x" is not an unsigned decimal integer`);
    const binary = join(dir, 'binary.conf');
    await writeFile(binary, Buffer.from([0x6b, 0xff, 0xfe]));
    await expect(readRateLimitConfig(binary)).rejects.toThrow(`${binary}: config is not valid UTF-8`);
    const missing = join(dir, 'missing.conf');
    await expect(readRateLimitConfig(missing)).rejects.toThrow(`cannot read rate-limit config: ENOENT: no such file or directory, open '${missing}'`);
    const huge = join(dir, 'huge.conf');
    await writeFile(huge, '#'.repeat(MAX_CONFIG_BYTES + 1));
    await expect(readRateLimitConfig(huge)).rejects.toThrow(`${huge}: config larger than ${MAX_CONFIG_BYTES} bytes`);
  });
});

describe('domains', () => {
  it('canonicalizes case, trailing dot, Unicode and A-labels to one form', () => {
    expect(canonicalDomain('WWW.Example.COM.')).toBe('www.example.com');
    expect(canonicalDomain('Bücher.example')).toBe('xn--bcher-kva.example');
    expect(canonicalDomain('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
  });

  it('takes the registered domain from the public suffix list, private section included', () => {
    expect(registeredDomain('a.b.example.co.uk')).toBe('example.co.uk');
    expect(registeredDomain('foo.bar.github.io')).toBe('bar.github.io');
    expect(registeredDomain('x.y.xn--p1ai')).toBe('y.xn--p1ai');
    // A public suffix is its own registered domain (as in log-go); unknown suffixes have none.
    expect(registeredDomain('co.uk')).toBe('co.uk');
    expect(registeredDomain('host.unknown-tld-for-test')).toBeUndefined();
  });
});

describe('rate-limit keys of the log config', () => {
  it('defaults to no limits and the system resolver; resolves the file against the config directory', () => {
    const d = parseConfig({ keyFile: 'k' }, '/etc/log');
    expect([d.rateLimitFile, d.dnsResolver, d.enableTestDomain]).toEqual(['', '', false]);
    const c = parseConfig({ keyFile: 'k', rateLimitFile: 'limits.conf', dnsResolver: '127.0.0.1:5353', enableTestDomain: true }, '/etc/log');
    expect([c.rateLimitFile, c.dnsResolver, c.enableTestDomain]).toEqual(['/etc/log/limits.conf', '127.0.0.1:5353', true]);
  });

  it('rejects wrong types with the key name', () => {
    expect(() => parseConfig({ keyFile: 'k', rateLimitFile: 5 }, '/')).toThrow('rateLimitFile: expected a string, got 5');
    expect(() => parseConfig({ keyFile: 'k', dnsResolver: null }, '/')).toThrow('dnsResolver: expected a string, got null');
    expect(() => parseConfig({ keyFile: 'k', enableTestDomain: 'yes' }, '/')).toThrow('enableTestDomain: expected true or false, got "yes"');
  });
});

describe('totality (property tests)', () => {
  /** Runs `f`; any failure must be a ParseError, whatever the input. */
  const totalOn = (f: () => unknown): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      return e instanceof ParseError;
    }
  };
  const words = fc.constantFrom('key', 'domain', 'public', '#', 'example.org', 'bücher.example', HASH, '0', '7', '-1', 'xn--', '..', ' ', '\t', '\n', '\r');

  it('the config parser either parses or throws ParseError', () => {
    fc.assert(fc.property(fc.array(fc.oneof(words, fc.string()), { maxLength: 30 }), (parts) => totalOn(() => parseRateLimitConfig(parts.join(' ')))), {
      numRuns: 500,
    });
  });

  it('canonical domains are lower-case A-label host names, or a ParseError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[a-zA-Z0-9.\-_ü]{1,40}$/)), (name) => {
        try {
          const d = canonicalDomain(name);
          return /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)+$/.test(d) && d.length <= 253;
        } catch (e) {
          return e instanceof ParseError;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the token header parser either parses or throws ParseError', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.constant('ab'.repeat(64))), (domain, sig) => totalOn(() => parseSubmitTokenHeader(`${domain} ${sig}`))),
      { numRuns: 1000 },
    );
  });
});
