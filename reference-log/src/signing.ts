/**
 * The last check before a signature leaves the process: whatever made it
 * (file key, ssh-agent, PKCS#11 token), a tree head or cosignature is never
 * published with a signature that does not verify under the configured key.
 */
import { VerificationError, verify, type Signer } from '@sigsum-kit/sdk';

/** Wrap `signer` so that `sign` rejects (`signer.bad-signature`) instead of returning an invalid signature. */
export function verifyingSigner(signer: Signer): Signer {
  return {
    publicKey: signer.publicKey,
    async sign(message: Uint8Array): Promise<Uint8Array> {
      const signature = await signer.sign(message);
      if (!(await verify(signer.publicKey, message, signature))) {
        throw new VerificationError('signer.bad-signature', 'the signing key produced a signature that does not verify; nothing was published', 'signature');
      }
      return signature;
    },
  };
}
