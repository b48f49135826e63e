/** Prometheus metrics of the log servers and the witness (see docs/metrics.md). */
export * from './registry.js';
export * from './plugin.js';
export * from './instrument.js';
export * from './bucket-histogram.js';
