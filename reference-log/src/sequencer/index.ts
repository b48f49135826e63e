/** The sequencer: pending leaves → integrated tree → signed, cosigned, published tree head. */
export * from './cosigner.js';
export * from './sequencer.js';
