/**
 * C2SP CCTV Ed25519 vectors: Go's `crypto/ed25519` rejects exactly the vectors
 * flagged `non_canonical_R` or `low_order_residue` (208 of 914 accepted); every
 * verification path of the SDK must give that verdict on every vector.
 */
import { verify, verifyNative, verifyNoble, verifyWebCrypto, fromHex, utf8 } from '@sigsum-kit/sdk';
import { loadCctvEd25519 } from '@sigsum-kit/test-vectors';
import type { CaseResult } from './types.js';
import { result } from './types.js';

/** Which verification function to exercise. */
export type CctvPath = 'native' | 'webcrypto' | 'noble' | 'default';

const paths = { native: verifyNative, webcrypto: verifyWebCrypto, noble: verifyNoble, default: verify } as const;

/** Go's verdict for a CCTV vector, from its flags. */
export function goVerdict(flags: readonly string[] | null): 'accept' | 'reject' {
  const f = flags ?? [];
  return f.includes('non_canonical_R') || f.includes('low_order_residue') ? 'reject' : 'accept';
}

/** Run all 914 vectors through one path. */
export async function checkCctv(path: CctvPath): Promise<CaseResult[]> {
  const fn = paths[path];
  const vectors = await loadCctvEd25519();
  const out: CaseResult[] = [];
  for (const v of vectors) {
    const expected = goVerdict(v.flags);
    let got: string;
    try {
      got = (await fn(fromHex(v.key), utf8(v.msg), fromHex(v.sig))) ? 'accept' : 'reject';
    } catch (e) {
      got = `crash: ${String(e)}`;
    }
    out.push(result(`cctv-ed25519/${path}`, `#${v.number}`, expected, got, (v.flags ?? []).join(',')));
  }
  return out;
}
