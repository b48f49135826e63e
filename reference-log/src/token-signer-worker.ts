/**
 * Worker thread of {@link openTokenSigner}: owns the PKCS#11 module and
 * every call into it, so that a token that stops answering blocks this
 * thread, never the process's event loop.
 *
 * workerData: `{ uri, expectedPublicKey? }`. Messages in: `{ id, message }`.
 * Messages out: `{ kind: 'open', publicKey, warnings, uri }` once, or
 * `{ kind: 'open-error', error }`; then `{ kind: 'signed', id, signature }`
 * or `{ kind: 'sign-error', id, error }` per request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SigsumError } from '@sigsum-kit/sdk';
import { Pkcs11Signer } from '@sigsum-kit/sdk/node';

/** An error as it crosses the thread boundary (the class is rebuilt on the other side). */
export interface WireError {
  name: string;
  code: string | undefined;
  detail: string;
  where: string | undefined;
}

function wire(e: unknown): WireError {
  if (e instanceof SigsumError) return { name: e.name, code: e.code, detail: e.detail, where: e.where };
  return { name: 'Error', code: undefined, detail: e instanceof Error ? e.message : String(e), where: undefined };
}

const port = parentPort!;
const data = workerData as { uri: string; expectedPublicKey?: Uint8Array; retryMs?: number };

try {
  const signer = await Pkcs11Signer.open(data.uri, { expectedPublicKey: data.expectedPublicKey, retryMs: data.retryMs });
  port.on('message', (req: { id: number; message: Uint8Array }) => {
    signer.sign(req.message).then(
      (signature) => port.postMessage({ kind: 'signed', id: req.id, signature }),
      (e: unknown) => port.postMessage({ kind: 'sign-error', id: req.id, error: wire(e) }),
    );
  });
  port.postMessage({ kind: 'open', publicKey: signer.publicKey, warnings: [...signer.warnings], uri: signer.uri });
} catch (e) {
  port.postMessage({ kind: 'open-error', error: wire(e) });
}
