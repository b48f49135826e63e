/**
 * The synchronous Ed25519 verifier that `ed25519.ts` chose, once it has
 * chosen the native path (Node's crypto): the proof and tree head verifiers
 * then check every signature in one synchronous pass, without a promise per
 * signature. Undefined before the choice and on the other paths, where they
 * go through the asynchronous `verify`. Not part of the public API.
 */
export const chosenVerifier: { sync: ((publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean) | undefined } = { sync: undefined };
