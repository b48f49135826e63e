/**
 * Sigsum proofs: the proof file (version 2, and version 1 for reading) and
 * offline verification in the six steps of the proof spec.
 */
export * from './format.js';
export * from './verify.js';
