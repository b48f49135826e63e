export * from './leaf.js';
export * from './tree-head.js';
export * from './bodies.js';
export * from './endpoints.js';
