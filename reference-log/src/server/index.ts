/** The log's HTTP layer: public Sigsum API and internal endpoints. */
export * from './app.js';
export * from './limits.js';
