export * from './token.js';
export * from './domain.js';
