/**
 * Witness cosigning for the log: fan-out over C2SP add-checkpoint, per-witness
 * size tracking, cosignature verification and quorum evaluation.
 */
export * from './contract.js';
export * from './cosigner.js';
