/** The `sigsum-log` configuration file: defaults, path resolution and every kind of bad value. */
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, parseConfig, parseHostPort } from '@sigsum-kit/reference-log';

describe('log configuration', () => {
  it('fills defaults and resolves paths against the config directory', () => {
    const c = parseConfig({ keyFile: 'log.key', policyFile: 'policy' }, '/etc/sigsum');
    expect(c).toMatchObject({ ...CONFIG_DEFAULTS, keyFile: '/etc/sigsum/log.key', dataDir: '/etc/sigsum/data', policyFile: '/etc/sigsum/policy', publishedTreeHeadFile: '/etc/sigsum/published-tree-head' });
    expect(parseConfig({ keyFile: '/abs/key', dataDir: '/var/lib/log' }, '/etc').dataDir).toBe('/var/lib/log');
    // URLs stay URLs; file names are resolved like every other path.
    expect(parseConfig({ keyFile: 'k', publishedTreeHeadSources: ['https://log.example.org/', 'last-head.txt'] }, '/etc/sigsum').publishedTreeHeadSources).toEqual([
      'https://log.example.org/',
      '/etc/sigsum/last-head.txt',
    ]);
  });

  it.each([
    [[], 'configuration must be a JSON object'],
    [null, 'configuration must be a JSON object'],
    [{}, 'keyFile: required'],
    [{ keyFile: 3 }, 'keyFile: expected a string, got 3'],
    [{ keyFile: 'k', storage: 'disk' }, 'storage: expected "sqlite" or "memory", got "disk"'],
    [{ keyFile: 'k', listen: 'localhost' }, 'listen: expected host:port, got "localhost"'],
    [{ keyFile: 'k', listen: '127.0.0.1:70000' }, 'listen: port 70000 out of range'],
    [{ keyFile: 'k', internalListen: ':80' }, 'internalListen: expected host:port, got ":80"'],
    [{ keyFile: 'k', prefix: 'a b' }, 'prefix: invalid URL path "a b"'],
    [{ keyFile: 'k', intervalMs: 5 }, 'intervalMs: expected an integer in 10..3600000, got 5'],
    [{ keyFile: 'k', intervalMs: 1.5 }, 'intervalMs: expected an integer in 10..3600000, got 1.5'],
    [{ keyFile: 'k', maxRange: '512' }, 'maxRange: expected an integer in 1..65536, got "512"'],
    [{ keyFile: 'k', addLeafWaitMs: -1 }, 'addLeafWaitMs: expected an integer in 0..10000, got -1'],
    [{ keyFile: 'k', maxPending: 0 }, 'maxPending: expected an integer in 1..10000000, got 0'],
    [{ keyFile: 'k', corsOrigins: '*' }, 'corsOrigins: expected an array of strings'],
    [{ keyFile: 'k', logLevel: 'loud' }, 'logLevel: expected one of fatal, error, warn, info, debug, trace, silent'],
    [{ keyFile: 'k', witnessTimeoutMs: 0 }, 'witnessTimeoutMs: expected an integer in 1..600000, got 0'],
    [{ keyFile: 'k', signTimeoutMs: 50 }, 'signTimeoutMs: expected an integer in 100..600000, got 50'],
    [{ keyFile: 'k', signTimeoutMs: '10s' }, 'signTimeoutMs: expected an integer in 100..600000, got "10s"'],
    [{ keyFile: 'k', publishedTreeHeadSources: 'https://log.example.org/' }, 'publishedTreeHeadSources: expected an array of URLs or file names'],
    [{ keyFile: 'k', publishedTreeHeadSources: [''] }, 'publishedTreeHeadSources: expected an array of URLs or file names'],
    [{ keyFile: 'k', listenAddress: 'x' }, 'unknown key "listenAddress"'],
    [{ keyFile: 'k', publicKeyFile: 7 }, 'publicKeyFile: expected a string, got 7'],
    [{ keyFile: 'pkcs11:object=k?module-path=/lib/p.so' }, 'publicKeyFile: required when keyFile is a pkcs11: URI (the public key the token must hold)'],
    [{ keyFile: 'k', headersTimeoutMs: 6000 }, 'headersTimeoutMs: must not exceed requestTimeoutMs (the whole request includes its headers)'],
    [{ keyFile: 'k', addLeafWaitMs: 2000, idleTimeoutMs: 1000 }, 'idleTimeoutMs: must exceed addLeafWaitMs (2000)'],
    [{ keyFile: 'k', maxConnections: -1 }, 'maxConnections: expected an integer in 0..10000000, got -1'],
    [{ keyFile: 'k', internalMaxConnections: 0 }, 'internalMaxConnections: expected an integer in 1..10000000, got 0'],
    [{ keyFile: 'k', primaryApi: 'loggo' }, 'primaryApi: expected "sigsum-kit" or "log-go", got "loggo"'],
    [{ keyFile: 'k', internalApi: 1 }, 'internalApi: expected "sigsum-kit" or "log-go", got 1'],
    [{ keyFile: 'k', primaryPublicUrl: 'log.example.org' }, 'primaryPublicUrl: expected an http(s) URL, got "log.example.org"'],
    [
      { keyFile: 'k', primaryApi: 'log-go', primaryUrl: 'http://10.0.0.1:6967/' },
      'primaryPublicUrl: required with primaryApi "log-go" (the log\'s public URL, whose signed tree head bounds replication)',
    ],
    [{ keyFile: 'k', witnessRequestsPerDay: 0 }, 'witnessRequestsPerDay: expected an integer in 1..8640000, got 0'],
    // The promised witness rate: the production default (10 s, 8640 a day) holds; a shorter interval needs a higher promise.
    [
      { keyFile: 'k', policyFile: 'p', intervalMs: 1000 },
      'intervalMs: 1000 ms means up to 86400 add-checkpoint requests per witness per day, more than witnessRequestsPerDay (8640); set intervalMs to at least 10000 or promise witnesses a higher rate',
    ],
    [
      { keyFile: 'k', policyFile: 'p', intervalMs: 60_000, witnessRequestsPerDay: 1000 },
      'intervalMs: 60000 ms means up to 1440 add-checkpoint requests per witness per day, more than witnessRequestsPerDay (1000); set intervalMs to at least 86400 or promise witnesses a higher rate',
    ],
  ])('rejects %j', (json, message) => {
    expect(() => parseConfig(json, '/tmp')).toThrow(new ConfigError(message));
  });

  it('keeps a pkcs11: keyFile as it is and resolves publicKeyFile', () => {
    const uri = 'pkcs11:token=t;object=log?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/sigsum/pin';
    const c = parseConfig({ keyFile: uri, publicKeyFile: 'log.key.pub' }, '/etc/sigsum');
    expect(c.keyFile).toBe(uri);
    expect(c.publicKeyFile).toBe('/etc/sigsum/log.key.pub');
    expect(parseConfig({ keyFile: 'log.key' }, '/etc/sigsum').publicKeyFile).toBe('');
  });

  it('production default: 10 s between tree heads, 8640 requests a day promised to each witness', () => {
    expect(CONFIG_DEFAULTS).toMatchObject({ intervalMs: 10_000, witnessRequestsPerDay: 8640 });
    expect(parseConfig({ keyFile: 'k', policyFile: 'p', intervalMs: 1000, witnessRequestsPerDay: 86_400 }, '/tmp').intervalMs).toBe(1000);
    // No witnesses configured: nothing is promised, any interval goes.
    expect(parseConfig({ keyFile: 'k', intervalMs: 100 }, '/tmp').intervalMs).toBe(100);
  });

  it('parses host:port including IPv6', () => {
    expect(parseHostPort('[::1]:6965', 'listen')).toEqual({ host: '::1', port: 6965 });
    expect(parseHostPort('0.0.0.0:0', 'listen')).toEqual({ host: '0.0.0.0', port: 0 });
  });
});
