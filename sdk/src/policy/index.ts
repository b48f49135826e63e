/**
 * Sigsum trust policies: parser, quorum evaluation, cosigned tree head
 * verification, and sigsum-go's builtin named policies.
 */
export * from './policy.js';
export { verifyCosignedTreeHead } from './verify.js';
export type { CosignatureStatus, CosignatureCheck, CosignedTreeHeadFailure, CosignedTreeHeadResult } from './verify.js';
export * from './builtin.js';
