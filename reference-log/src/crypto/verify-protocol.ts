/**
 * The messages between the verify pool and its threads. A job is one
 * transferred buffer: `count` native-endian u32 message lengths, then per
 * triple the 32-byte public key, the 64-byte signature and the message.
 */

/** Ed25519 public key length. */
export const KEY_BYTES = 32;
/** Ed25519 signature length. */
export const SIGNATURE_BYTES = 64;

/** Main thread → worker. */
export interface VerifyJob {
  id: number;
  count: number;
  data: ArrayBuffer;
}

/** Worker → main thread: one byte per triple, 1 = valid. */
export interface VerifyAnswer {
  id: number;
  verdicts: ArrayBuffer;
}

/** Worker → main thread, once: the verifier is loaded and the worker takes jobs. */
export interface VerifyReady {
  ready: true;
}

/** What a worker sends. */
export type WorkerMessage = VerifyAnswer | VerifyReady;
