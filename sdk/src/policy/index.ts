/**
 * Sigsum trust policies: parser, quorum evaluation, cosigned tree head
 * verification, and sigsum-go's builtin named policies.
 */
export * from './policy.js';
export * from './verify.js';
export * from './builtin.js';
