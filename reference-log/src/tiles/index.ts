/** C2SP tlog-tiles for the log: resources from storage, HTTP routes, static export. */
export * from './resources.js';
export * from './routes.js';
export * from './export.js';
