export * from './hash.js';
export * from './verify.js';
export * from './prove.js';
export * from './compact.js';
export * from './memory.js';
