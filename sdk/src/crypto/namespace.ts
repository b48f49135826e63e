import { concatBytes, utf8 } from '../encoding/bytes.js';
import type { Signer } from './ed25519.js';
import { verify } from './ed25519.js';

/** Namespace of leaf signatures. */
export const TREE_LEAF_NAMESPACE = 'sigsum.org/v1/tree-leaf';
/** Namespace of submit (rate-limit) tokens. */
export const SUBMIT_TOKEN_NAMESPACE = 'sigsum.org/v1/submit-token';

/** The bytes actually signed for a namespaced message: `namespace || 0x00 || message`. */
export function namespacedMessage(namespace: string, message: Uint8Array): Uint8Array {
  return concatBytes(utf8(namespace), new Uint8Array([0]), message);
}

/** Sign `message` under `namespace`. */
export function signNamespaced(signer: Signer, namespace: string, message: Uint8Array): Promise<Uint8Array> {
  return signer.sign(namespacedMessage(namespace, message));
}

/** Verify a namespaced signature. */
export function verifyNamespaced(publicKey: Uint8Array, namespace: string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return verify(publicKey, namespacedMessage(namespace, message), signature);
}
