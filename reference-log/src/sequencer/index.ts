/** The sequencer: pending leaves → integrated tree → signed, cosigned, published tree head. */
export * from '../cosigning/contract.js';
export * from './gate.js';
export * from './sequencer.js';
