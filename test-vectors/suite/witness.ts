/**
 * Vector suite: C2SP tlog-witness add-checkpoint (witness.json, produced by
 * sigsum-go's sigsum-witness). Each case sets up the witness state, sends the
 * request body through the reference witness's pure decision function and
 * requires the same status, and for 200 and 409 the exact response body.
 * No Node imports: this module also runs in browsers.
 */
import { SeedSigner, fromHex } from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import { handleAddCheckpoint, witnessIdentity, witnessLogs, type WitnessState } from '../../reference-log/src/witness/core.js';
import { result, type CaseResult } from './types.js';

/** Run every witness.json case; one {@link CaseResult} per case. */
export default async function witnessSuite(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('witness');
  const identity = witnessIdentity(new SeedSigner(fromHex(v.witness.seed, 'witness seed', 32)));
  const logs = witnessLogs([fromHex(v.log.public_key, 'log public key', 32)]);
  const origin: string = v.log.origin;
  const out: CaseResult[] = [];
  for (const c of v.cases) {
    const stored: WitnessState = { size: BigInt(c.state_size), rootHash: fromHex(c.state_root_hash, 'state_root_hash', 32) };
    // state_file null means sigsum-witness started without a file: the empty state.
    const state = new Map<string, WitnessState>(c.state_file === null ? [] : [[origin, stored]]);
    try {
      const r = await handleAddCheckpoint({ state, body: c.request_body, timestamp: BigInt(c.timestamp), identity, logs });
      const bodyOk = c.response_body === undefined || r.body === c.response_body;
      // Only a 200 may advance the state, and then to the checkpoint's size.
      const stateOk = r.status === 200 ? r.newState?.state.size === BigInt(sizeLine(c.request_body)) : r.newState === undefined;
      out.push(result('witness', c.name, String(c.expect_status), String(r.status), bodyOk && stateOk ? undefined : `body ${JSON.stringify(r.body)}`, bodyOk && stateOk));
    } catch (e) {
      out.push(result('witness', c.name, String(c.expect_status), 'exception', String(e)));
    }
  }
  return out;
}

/** The checkpoint size line of a request body: two lines after the empty line ending the proof. */
function sizeLine(body: string): string {
  const lines = body.split('\n');
  return lines[lines.indexOf('', 1) + 2] ?? '';
}
