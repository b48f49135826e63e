/**
 * A verification thread of the {@link VerifyPool}: answers each job (a batch
 * of Ed25519 triples packed by verify-pool.ts) with one verdict byte per
 * triple, using the log's `ed25519VerifyNode` (Go's verdicts).
 */
import { parentPort } from 'node:worker_threads';
import { ed25519VerifyNode } from './node-crypto.js';
import { KEY_BYTES, SIGNATURE_BYTES, type VerifyJob, type VerifyAnswer } from './verify-protocol.js';

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
    verdicts[i] = ed25519VerifyNode(key, message, signature) ? 1 : 0;
  }
  const answer: VerifyAnswer = { id: job.id, verdicts: verdicts.buffer };
  port.postMessage(answer, [verdicts.buffer]);
});
