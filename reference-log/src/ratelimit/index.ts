/** add-leaf rate limiting: allow-list config, submit tokens verified over DNS, unique-leaf counters (see docs/rate-limits.md). */
export * from './config.js';
export * from './domain.js';
export * from './dns.js';
export * from './token.js';
export * from './limiter.js';
export * from './admission.js';
