export * from './bytes.js';
export * from './hex.js';
export * from './base64.js';
export * from './integer.js';
export * from './ascii.js';
