export * from './token.js';
export * from './domain.js';
export { punycodeDecode, punycodeEncode } from './punycode.js';
