// One loader for the shared vectors that works in Node (vitest, scripts) and in
// the browser (Vite): static JSON imports so bundlers see every file.

/** @typedef {'ascii'|'keys'|'leaves'|'merkle'|'policies'|'proofs'|'tokens'|'tree-heads'|'witness'} SigsumVectorFile */

/** Names of the sigsum-go vector files. */
export const sigsumVectorFiles = /** @type {const} */ (['ascii', 'keys', 'leaves', 'merkle', 'policies', 'proofs', 'tokens', 'tree-heads', 'witness']);

/**
 * Load one sigsum-go vector file (parsed JSON).
 * @param {SigsumVectorFile} name
 * @returns {Promise<any>}
 */
export async function loadSigsumVectors(name) {
  switch (name) {
    case 'ascii': return (await import('./data/sigsum-go/ascii.json', { with: { type: 'json' } })).default;
    case 'keys': return (await import('./data/sigsum-go/keys.json', { with: { type: 'json' } })).default;
    case 'leaves': return (await import('./data/sigsum-go/leaves.json', { with: { type: 'json' } })).default;
    case 'merkle': return (await import('./data/sigsum-go/merkle.json', { with: { type: 'json' } })).default;
    case 'policies': return (await import('./data/sigsum-go/policies.json', { with: { type: 'json' } })).default;
    case 'proofs': return (await import('./data/sigsum-go/proofs.json', { with: { type: 'json' } })).default;
    case 'tokens': return (await import('./data/sigsum-go/tokens.json', { with: { type: 'json' } })).default;
    case 'tree-heads': return (await import('./data/sigsum-go/tree-heads.json', { with: { type: 'json' } })).default;
    case 'witness': return (await import('./data/sigsum-go/witness.json', { with: { type: 'json' } })).default;
    default: throw new Error(`unknown vector file ${String(name)}`);
  }
}

/**
 * Load the C2SP CCTV Ed25519 edge-case vectors.
 * @returns {Promise<any>}
 */
export async function loadCctvEd25519() {
  return (await import('./data/cctv-ed25519/ed25519vectors.json', { with: { type: 'json' } })).default;
}
