/**
 * The `sigsum-log` configuration file: JSON, every key optional except
 * `keyFile`; relative paths are resolved against the file's directory.
 * Documented in docs/reference-log.md. Unknown keys are rejected so typos
 * do not silently fall back to defaults.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isPkcs11Uri } from '@sigsum-kit/sdk/node';
import { DEFAULT_INTERNAL_MAX_CONNECTIONS, DEFAULT_TIMEOUTS, internalLimits, publicLimits, type ListenerLimits } from '../server/limits.js';
import { ConfigError } from '../errors.js';
import { defaultVerifyWorkers } from '../crypto/verify-pool.js';

/** The parsed, defaulted configuration. */
export interface LogConfig extends Omit<ListenerLimits, 'maxConnections'> {
  /** OpenSSH private key file of the log (mode 0600), a public key file (ssh-agent), or a `pkcs11:` URI. */
  keyFile: string;
  /** Public key file of `keyFile`'s key; the node refuses to start on another key. Required with a `pkcs11:` key. */
  publicKeyFile: string;
  /**
   * Time allowed for one signature by a `pkcs11:` token, ms; a token that
   * does not answer in time counts as down (no head is published) until it
   * answers (docs/operations.md).
   */
  signTimeoutMs: number;
  /** `sqlite` (durable file, default) or `memory` (sql.js, nothing persisted). */
  storage: 'sqlite' | 'memory';
  /** Directory holding `log.sqlite` (sqlite storage). */
  dataDir: string;
  /** Public listener `host:port`. */
  listen: string;
  /** Internal listener `host:port` (health, later replication), or `""` to disable. */
  internalListen: string;
  /** URL prefix of the endpoints. */
  prefix: string;
  /**
   * Tree-head publish interval, ms; each witness gets at most one
   * add-checkpoint request per interval. Default 10 s, as log-go.
   */
  intervalMs: number;
  /** Pending-leaf integration interval, ms. */
  integrateIntervalMs: number;
  /** Most leaves per get-leaves answer. */
  maxRange: number;
  /** How long add-leaf may wait for the publication that covers a new leaf before answering 202, ms (0 = never wait). */
  addLeafWaitMs: number;
  /** Most leaves waiting for integration before add-leaf answers 503. */
  maxPending: number;
  /** Worker threads checking add-leaf signatures; 0 = on the main thread. Default: one per core, at most 4, none on one core. */
  verifyWorkers: number;
  /** Sigsum policy file naming the witnesses and quorum; `""` = no witnesses (quorum none). */
  policyFile: string;
  /** How long to wait for witnesses per tree head, ms. */
  witnessTimeoutMs: number;
  /**
   * The add-checkpoint request rate promised to each witness, per day (what
   * the witness network lists for the log). With a `policyFile`, a
   * configuration whose `intervalMs` would exceed it is refused.
   */
  witnessRequestsPerDay: number;
  /** Allowed CORS origins (`["*"]` = any, `[]` = CORS off). */
  corsOrigins: string[];
  /** pino log level. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** add-leaf rate-limit config file (docs/rate-limits.md); `""` = no limits. */
  rateLimitFile: string;
  /** DNS resolver for submit-token TXT look-ups, `ip` or `ip:port`; `""` = the system's first resolver. */
  dnsResolver: string;
  /** Accept tokens for log-go's public test domain test.sigsum.org (blocked by default). */
  enableTestDomain: boolean;
  // Hot standby (docs/operations.md).
  /** Primary: base URL of the secondary's internal listener; `""` = no secondary. */
  secondaryUrl: string;
  /** Primary: the secondary's public key (64 hex digits, or an OpenSSH public key file); required with `secondaryUrl`. */
  secondaryPublicKey: string;
  /** Secondary: base URL of the primary's internal listener (log-go: including its URL prefix). */
  primaryUrl: string;
  /**
   * Secondary: the primary's internal API. `sigsum-kit` (default) has
   * `get-tree-head-unsigned`; `log-go` has only `get-leaves`, and the
   * secondary then replicates only what the log's public signed tree head
   * at `primaryPublicUrl` covers.
   */
  primaryApi: 'sigsum-kit' | 'log-go';
  /** Secondary with `primaryApi: "log-go"`: the log's public base URL. */
  primaryPublicUrl: string;
  /** Primary: the internal API served: `sigsum-kit` (default) or `log-go` (only get-leaves, as log-go; for tests and drills). */
  internalApi: 'sigsum-kit' | 'log-go';
  /** Shared bearer token of the internal replication endpoints; `""` = none. */
  replicationToken: string;
  /** Secondary: pause between pulls when up to date, ms. */
  replicationIntervalMs: number;
  /**
   * Primary: published tree heads to check at start-up (public log URLs or
   * files with a get-tree-head answer); the node refuses to start if any is
   * newer than what it published or cannot be read. `[]` = no check.
   */
  publishedTreeHeadSources: string[];
  /**
   * The published-tree-head file: the last head this log published, kept
   * outside `dataDir` and checked against the database at start-up
   * (docs/operations.md). Relative to the config file's directory.
   */
  publishedTreeHeadFile: string;
  /** Newest leaves the start-up check re-hashes from the leaves (the rest is trusted; `sigsum-log check` reads all). */
  startupVerifyLeaves: number;
  // Connection limits of every listener (docs/operations.md, "Connection limits"): the
  // timeouts and per-socket cap of ListenerLimits, and the connection caps below.
  /** Most connections on the public listener; 0 = half the process's open-file limit. */
  maxConnections: number;
  /** Most connections on the internal listener (the primary's and the secondary's). */
  internalMaxConnections: number;
}

/** Defaults of every optional key. */
export const CONFIG_DEFAULTS: Omit<LogConfig, 'keyFile'> = {
  publicKeyFile: '',
  signTimeoutMs: 10_000,
  storage: 'sqlite',
  dataDir: 'data',
  listen: '127.0.0.1:6965',
  internalListen: '127.0.0.1:6966',
  prefix: '/',
  intervalMs: 10_000,
  integrateIntervalMs: 100,
  maxRange: 512,
  addLeafWaitMs: 0,
  maxPending: 100_000,
  verifyWorkers: defaultVerifyWorkers(),
  policyFile: '',
  witnessTimeoutMs: 5000,
  witnessRequestsPerDay: 8640,
  corsOrigins: [],
  logLevel: 'info',
  rateLimitFile: '',
  dnsResolver: '',
  enableTestDomain: false,
  secondaryUrl: '',
  secondaryPublicKey: '',
  primaryUrl: '',
  primaryApi: 'sigsum-kit',
  primaryPublicUrl: '',
  internalApi: 'sigsum-kit',
  replicationToken: '',
  replicationIntervalMs: 250,
  publishedTreeHeadSources: [],
  publishedTreeHeadFile: 'published-tree-head',
  startupVerifyLeaves: 1_000_000,
  headersTimeoutMs: DEFAULT_TIMEOUTS.headersTimeoutMs,
  requestTimeoutMs: DEFAULT_TIMEOUTS.requestTimeoutMs,
  idleTimeoutMs: DEFAULT_TIMEOUTS.idleTimeoutMs,
  keepAliveTimeoutMs: DEFAULT_TIMEOUTS.keepAliveTimeoutMs,
  maxRequestsPerSocket: DEFAULT_TIMEOUTS.maxRequestsPerSocket,
  maxConnections: 0,
  internalMaxConnections: DEFAULT_INTERNAL_MAX_CONNECTIONS,
};


const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function intIn(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${key}: expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string') throw new ConfigError(`${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

const MS_PER_DAY = 86_400_000;

/**
 * Refuse an interval that would send each witness more add-checkpoint
 * requests per day than the configuration promises.
 */
export function checkWitnessRate(intervalMs: number, requestsPerDay: number): void {
  const perDay = Math.ceil(MS_PER_DAY / intervalMs);
  if (perDay > requestsPerDay) {
    throw new ConfigError(
      `intervalMs: ${intervalMs} ms means up to ${perDay} add-checkpoint requests per witness per day, more than ` +
        `witnessRequestsPerDay (${requestsPerDay}); set intervalMs to at least ${Math.ceil(MS_PER_DAY / requestsPerDay)} or promise witnesses a higher rate`,
    );
  }
}

/** Split `host:port` (IPv6 as `[::1]:port`). */
export function parseHostPort(s: string, key: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (m === null) throw new ConfigError(`${key}: expected host:port, got ${JSON.stringify(s)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`${key}: port ${port} out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Validate a parsed JSON object; `baseDir` resolves relative paths. */
export function parseConfig(json: unknown, baseDir: string): LogConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('configuration must be a JSON object');
  const o = json as Record<string, unknown>;
  const allowed = new Set(['keyFile', ...Object.keys(CONFIG_DEFAULTS), '$comment']);
  for (const k of Object.keys(o)) if (!allowed.has(k)) throw new ConfigError(`unknown key ${JSON.stringify(k)}`);
  const c: LogConfig = { ...CONFIG_DEFAULTS, keyFile: '' };
  if (o.keyFile === undefined) throw new ConfigError('keyFile: required');
  c.keyFile = str(o.keyFile, 'keyFile');
  // A pkcs11: URI is not a path; its module-path and pin-source are absolute.
  if (!isPkcs11Uri(c.keyFile)) c.keyFile = resolve(baseDir, c.keyFile);
  if (o.publicKeyFile !== undefined) c.publicKeyFile = str(o.publicKeyFile, 'publicKeyFile');
  if (c.publicKeyFile !== '') c.publicKeyFile = resolve(baseDir, c.publicKeyFile);
  if (isPkcs11Uri(c.keyFile) && c.publicKeyFile === '') {
    throw new ConfigError('publicKeyFile: required when keyFile is a pkcs11: URI (the public key the token must hold)');
  }
  if (o.signTimeoutMs !== undefined) c.signTimeoutMs = intIn(o.signTimeoutMs, 'signTimeoutMs', 100, 600_000);
  if (o.storage !== undefined) {
    if (o.storage !== 'sqlite' && o.storage !== 'memory') throw new ConfigError(`storage: expected "sqlite" or "memory", got ${JSON.stringify(o.storage)}`);
    c.storage = o.storage;
  }
  if (o.dataDir !== undefined) c.dataDir = str(o.dataDir, 'dataDir');
  c.dataDir = resolve(baseDir, c.dataDir);
  if (o.listen !== undefined) c.listen = str(o.listen, 'listen');
  parseHostPort(c.listen, 'listen');
  if (o.internalListen !== undefined) c.internalListen = str(o.internalListen, 'internalListen');
  if (c.internalListen !== '') parseHostPort(c.internalListen, 'internalListen');
  if (o.prefix !== undefined) c.prefix = str(o.prefix, 'prefix');
  if (!/^\/?([A-Za-z0-9._~-]+\/)*[A-Za-z0-9._~-]*\/?$/.test(c.prefix)) throw new ConfigError(`prefix: invalid URL path ${JSON.stringify(c.prefix)}`);
  if (o.intervalMs !== undefined) c.intervalMs = intIn(o.intervalMs, 'intervalMs', 10, 3_600_000);
  if (o.integrateIntervalMs !== undefined) c.integrateIntervalMs = intIn(o.integrateIntervalMs, 'integrateIntervalMs', 1, 60_000);
  if (o.maxRange !== undefined) c.maxRange = intIn(o.maxRange, 'maxRange', 1, 65_536);
  if (o.addLeafWaitMs !== undefined) c.addLeafWaitMs = intIn(o.addLeafWaitMs, 'addLeafWaitMs', 0, 10_000);
  if (o.maxPending !== undefined) c.maxPending = intIn(o.maxPending, 'maxPending', 1, 10_000_000);
  if (o.verifyWorkers !== undefined) c.verifyWorkers = intIn(o.verifyWorkers, 'verifyWorkers', 0, 64);
  if (o.policyFile !== undefined) c.policyFile = str(o.policyFile, 'policyFile');
  if (c.policyFile !== '') c.policyFile = resolve(baseDir, c.policyFile);
  if (o.witnessTimeoutMs !== undefined) c.witnessTimeoutMs = intIn(o.witnessTimeoutMs, 'witnessTimeoutMs', 1, 600_000);
  if (o.witnessRequestsPerDay !== undefined) c.witnessRequestsPerDay = intIn(o.witnessRequestsPerDay, 'witnessRequestsPerDay', 1, MS_PER_DAY / 10);
  if (c.policyFile !== '') checkWitnessRate(c.intervalMs, c.witnessRequestsPerDay);
  if (o.corsOrigins !== undefined) {
    if (!Array.isArray(o.corsOrigins) || !o.corsOrigins.every((x) => typeof x === 'string')) {
      throw new ConfigError('corsOrigins: expected an array of strings');
    }
    c.corsOrigins = o.corsOrigins as string[];
  }
  if (o.logLevel !== undefined) {
    if (typeof o.logLevel !== 'string' || !LEVELS.includes(o.logLevel)) throw new ConfigError(`logLevel: expected one of ${LEVELS.join(', ')}`);
    c.logLevel = o.logLevel as LogConfig['logLevel'];
  }
  // Rate limiting (docs/rate-limits.md).
  if (o.rateLimitFile !== undefined) c.rateLimitFile = str(o.rateLimitFile, 'rateLimitFile');
  if (c.rateLimitFile !== '') c.rateLimitFile = resolve(baseDir, c.rateLimitFile);
  if (o.dnsResolver !== undefined) c.dnsResolver = str(o.dnsResolver, 'dnsResolver');
  if (o.enableTestDomain !== undefined) {
    if (typeof o.enableTestDomain !== 'boolean') throw new ConfigError(`enableTestDomain: expected true or false, got ${JSON.stringify(o.enableTestDomain)}`);
    c.enableTestDomain = o.enableTestDomain;
  }
  // Hot standby (docs/operations.md).
  for (const k of ['primaryApi', 'internalApi'] as const) {
    if (o[k] === undefined) continue;
    if (o[k] !== 'sigsum-kit' && o[k] !== 'log-go') throw new ConfigError(`${k}: expected "sigsum-kit" or "log-go", got ${JSON.stringify(o[k])}`);
    c[k] = o[k];
  }
  for (const k of ['secondaryUrl', 'primaryUrl', 'primaryPublicUrl'] as const) {
    if (o[k] !== undefined) c[k] = str(o[k], k);
    if (c[k] !== '' && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(c[k])) throw new ConfigError(`${k}: expected an http(s) URL, got ${JSON.stringify(c[k])}`);
  }
  if (c.primaryApi === 'log-go' && c.primaryUrl !== '' && c.primaryPublicUrl === '') {
    throw new ConfigError('primaryPublicUrl: required with primaryApi "log-go" (the log\'s public URL, whose signed tree head bounds replication)');
  }
  if (o.secondaryPublicKey !== undefined) c.secondaryPublicKey = str(o.secondaryPublicKey, 'secondaryPublicKey');
  if (c.secondaryPublicKey !== '' && !/^[0-9a-fA-F]{64}$/.test(c.secondaryPublicKey)) c.secondaryPublicKey = resolve(baseDir, c.secondaryPublicKey);
  if ((c.secondaryUrl === '') !== (c.secondaryPublicKey === '')) throw new ConfigError('secondaryUrl and secondaryPublicKey: set both or neither');
  if (o.replicationToken !== undefined) c.replicationToken = str(o.replicationToken, 'replicationToken');
  if (/[\s]/.test(c.replicationToken)) throw new ConfigError('replicationToken: must not contain white space');
  if (o.replicationIntervalMs !== undefined) c.replicationIntervalMs = intIn(o.replicationIntervalMs, 'replicationIntervalMs', 1, 3_600_000);
  if (o.publishedTreeHeadSources !== undefined) {
    const v = o.publishedTreeHeadSources;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
      throw new ConfigError('publishedTreeHeadSources: expected an array of URLs or file names');
    }
    c.publishedTreeHeadSources = (v as string[]).map((x) => (/^https?:\/\//.test(x) ? x : resolve(baseDir, x)));
  }
  if (o.publishedTreeHeadFile !== undefined) c.publishedTreeHeadFile = str(o.publishedTreeHeadFile, 'publishedTreeHeadFile');
  if (c.publishedTreeHeadFile === '') throw new ConfigError('publishedTreeHeadFile: must not be empty');
  c.publishedTreeHeadFile = resolve(baseDir, c.publishedTreeHeadFile);
  if (o.startupVerifyLeaves !== undefined) c.startupVerifyLeaves = intIn(o.startupVerifyLeaves, 'startupVerifyLeaves', 0, Number.MAX_SAFE_INTEGER);
  if (o.headersTimeoutMs !== undefined) c.headersTimeoutMs = intIn(o.headersTimeoutMs, 'headersTimeoutMs', 100, 600_000);
  if (o.requestTimeoutMs !== undefined) c.requestTimeoutMs = intIn(o.requestTimeoutMs, 'requestTimeoutMs', 100, 600_000);
  if (c.headersTimeoutMs > c.requestTimeoutMs) throw new ConfigError('headersTimeoutMs: must not exceed requestTimeoutMs (the whole request includes its headers)');
  if (o.idleTimeoutMs !== undefined) c.idleTimeoutMs = intIn(o.idleTimeoutMs, 'idleTimeoutMs', 100, 3_600_000);
  // add-leaf may hold a quiet connection for addLeafWaitMs before answering.
  if (c.idleTimeoutMs <= c.addLeafWaitMs) throw new ConfigError(`idleTimeoutMs: must exceed addLeafWaitMs (${c.addLeafWaitMs})`);
  if (o.keepAliveTimeoutMs !== undefined) c.keepAliveTimeoutMs = intIn(o.keepAliveTimeoutMs, 'keepAliveTimeoutMs', 100, 3_600_000);
  if (o.maxRequestsPerSocket !== undefined) c.maxRequestsPerSocket = intIn(o.maxRequestsPerSocket, 'maxRequestsPerSocket', 0, 1_000_000_000);
  if (o.maxConnections !== undefined) c.maxConnections = intIn(o.maxConnections, 'maxConnections', 0, 10_000_000);
  if (o.internalMaxConnections !== undefined) c.internalMaxConnections = intIn(o.internalMaxConnections, 'internalMaxConnections', 1, 10_000_000);
  return c;
}

/** The timeouts every listener of a node gets from `config`. */
function timeoutsOf(config: LogConfig): Omit<ListenerLimits, 'maxConnections'> {
  const { headersTimeoutMs, requestTimeoutMs, idleTimeoutMs, keepAliveTimeoutMs, maxRequestsPerSocket } = config;
  return { headersTimeoutMs, requestTimeoutMs, idleTimeoutMs, keepAliveTimeoutMs, maxRequestsPerSocket };
}

/** Limits of the public listener from `config` (cap 0 = derived from the open-file limit). */
export function publicListenerLimits(config: LogConfig): ListenerLimits {
  return publicLimits({ ...timeoutsOf(config), ...(config.maxConnections === 0 ? {} : { maxConnections: config.maxConnections }) });
}

/** Limits of an internal listener (primary or secondary) from `config`. */
export function internalListenerLimits(config: LogConfig): ListenerLimits {
  return internalLimits({ ...timeoutsOf(config), maxConnections: config.internalMaxConnections });
}

/** Read and validate a configuration file. */
export function loadConfig(path: string): LogConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, dirname(resolve(path)));
}

/** The configuration file `sigsum-log init` writes. */
export function defaultConfigText(): string {
  const o = {
    $comment: 'sigsum-log configuration; see docs/reference-log.md for every key',
    keyFile: 'log.key',
    ...CONFIG_DEFAULTS,
  };
  return JSON.stringify(o, null, 2) + '\n';
}
