/** Names of the sigsum-go vector files. */
export declare const sigsumVectorFiles: readonly ['ascii', 'keys', 'leaves', 'merkle', 'policies', 'proofs', 'tokens', 'tree-heads', 'witness'];
export type SigsumVectorFile = (typeof sigsumVectorFiles)[number];
/** Load one sigsum-go vector file (parsed JSON; shape described by each file's `description`). */
export declare function loadSigsumVectors(name: SigsumVectorFile): Promise<any>;
/** Load the C2SP CCTV Ed25519 edge-case vectors. */
export declare function loadCctvEd25519(): Promise<any>;
