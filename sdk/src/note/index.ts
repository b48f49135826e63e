export * from './keyid.js';
export * from './vkey.js';
export * from './signed-note.js';
export * from './checkpoint.js';
export * from './cosignature.js';
export * from './add-checkpoint.js';
