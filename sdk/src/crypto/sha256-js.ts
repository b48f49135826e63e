/**
 * SHA-256 (FIPS 180-4) in plain JavaScript, for runtimes without Node's
 * native hash (browsers: WebCrypto's digest is asynchronous, and the SDK's
 * hashing API is synchronous). A few hundred bytes gzipped, where
 * @noble/hashes' sha2 module (SHA-256 and SHA-512 together) is about 5 KB;
 * the pure-JS Ed25519 fallback still loads that module for its SHA-512.
 */

// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = Uint32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);
// First 32 bits of the fractional parts of the square roots of the first 8 primes.
const IV = Uint32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

// Message schedule, reused (hashing is synchronous, so never shared between calls).
const W = new Uint32Array(64);

const ror = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** Fold the 64-byte block of `b` at `o` into the state `H`. */
function compress(H: Uint32Array, b: Uint8Array, o: number): void {
  for (let t = 0; t < 16; t++, o += 4) W[t] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  for (let t = 16; t < 64; t++) {
    const x = W[t - 15]!;
    const y = W[t - 2]!;
    W[t] = W[t - 16]! + (ror(x, 7) ^ ror(x, 18) ^ (x >>> 3)) + W[t - 7]! + (ror(y, 17) ^ ror(y, 19) ^ (y >>> 10));
  }
  let a = H[0]!, b1 = H[1]!, c = H[2]!, d = H[3]!, e = H[4]!, f = H[5]!, g = H[6]!, h = H[7]!;
  for (let t = 0; t < 64; t++) {
    const t1 = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) | 0;
    const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b1) ^ (a & c) ^ (b1 & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b1;
    b1 = a;
    a = (t1 + t2) | 0;
  }
  H[0] = H[0]! + a;
  H[1] = H[1]! + b1;
  H[2] = H[2]! + c;
  H[3] = H[3]! + d;
  H[4] = H[4]! + e;
  H[5] = H[5]! + f;
  H[6] = H[6]! + g;
  H[7] = H[7]! + h;
}

/** SHA-256 of the concatenation of `parts`, in plain JavaScript (no copy of whole parts). */
export function sha256Js(parts: readonly Uint8Array[]): Uint8Array {
  const H = IV.slice();
  const block = new Uint8Array(64);
  let used = 0; // bytes of `block` waiting for a full block
  let length = 0;
  for (const p of parts) {
    length += p.length;
    let i = 0;
    if (used > 0) {
      i = Math.min(64 - used, p.length);
      block.set(p.subarray(0, i), used);
      used += i;
      if (used < 64) continue;
      compress(H, block, 0);
      used = 0;
    }
    for (; i + 64 <= p.length; i += 64) compress(H, p, i);
    block.set(p.subarray(i), 0);
    used = p.length - i;
  }
  // Padding: 0x80, zeros, then the length in bits as a 64-bit big-endian number.
  block.fill(0, used);
  block[used] = 0x80;
  if (used >= 56) {
    compress(H, block, 0);
    block.fill(0);
  }
  const hi = Math.floor(length / 0x20000000);
  const lo = (length << 3) >>> 0;
  for (let i = 0; i < 4; i++) {
    block[56 + i] = hi >>> (24 - 8 * i);
    block[60 + i] = lo >>> (24 - 8 * i);
  }
  compress(H, block, 0);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = H[i >> 2]! >>> (24 - 8 * (i & 3));
  return out;
}
