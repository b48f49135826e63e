/** The two WebCrypto helpers shared by the Ed25519 and SHA-256 paths. */

/** `b` backed by a plain ArrayBuffer, as WebCrypto takes it (copies only views of other buffers). */
export function plain(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

/** The WebCrypto `SubtleCrypto`, if this runtime has one. */
export function subtle(): SubtleCrypto | undefined {
  return (globalThis as { crypto?: Crypto }).crypto?.subtle;
}
