/**
 * A verification thread of the {@link VerifyPool}: answers each job (a batch
 * of Ed25519 triples packed by verify-pool.ts) with one verdict byte per
 * triple, using the SDK's native path (`verifyNativeSync`, Go's verdicts,
 * the function behind the log's `ed25519VerifyNode`). It imports that one
 * module, not the SDK's index: the index's module graph (its HTTP client
 * starts Node's fetch) would cost each thread ≈ 7 MiB more.
 */
import { parentPort } from 'node:worker_threads';
import { verifyNativeSync } from '@sigsum-kit/sdk/ed25519-native';
import { KEY_BYTES, SIGNATURE_BYTES, type VerifyJob, type VerifyAnswer, type VerifyReady } from './verify-protocol.js';

const port = parentPort;
if (port === null) throw new Error('verify-worker.js runs only as a worker thread');

port.on('message', (job: VerifyJob) => {
  const bytes = new Uint8Array(job.data);
  const lengths = new Uint32Array(job.data, 0, job.count);
  const verdicts = new Uint8Array(job.count);
  let off = job.count * 4;
  for (let i = 0; i < job.count; i++) {
    const key = bytes.subarray(off, off + KEY_BYTES);
    const signature = bytes.subarray(off + KEY_BYTES, off + KEY_BYTES + SIGNATURE_BYTES);
    off += KEY_BYTES + SIGNATURE_BYTES;
    const message = bytes.subarray(off, off + lengths[i]!);
    off += lengths[i]!;
    verdicts[i] = verifyNativeSync(key, message, signature) ? 1 : 0;
  }
  const answer: VerifyAnswer = { id: job.id, verdicts: verdicts.buffer };
  port.postMessage(answer, [verdicts.buffer]);
});

// The pool sends jobs only from here on; until then the main thread verifies.
port.postMessage({ ready: true } satisfies VerifyReady);
