/**
 * @noble/hashes' SHA-256 for `digest` where the runtime has neither a native
 * hash nor WebCrypto; imported only then, so browser bundles load it as a
 * separate chunk.
 */
export { sha256 } from '@noble/hashes/sha2.js';
