/**
 * Reference witness throughput, each against a baseline measured in the same run:
 * - the pure decision (parse + log signature verify + consistency proof +
 *   cosign) of one add-checkpoint request, vs the irreducible crypto of a
 *   request: one Ed25519 verify and one Ed25519 sign (SDK calls);
 * - add-checkpoint over real HTTP on 127.0.0.1 (Fastify, SQLite CAS with
 *   synchronous=FULL, keep-alive, sequential) vs the pure decision;
 * - one cosigning round of the log against 2 witnesses over HTTP.
 * Run: npx tsx bench/witness.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedSigner, parsePolicy, sha256, signTreeHead, toHex, utf8, verify, signedCheckpointNote } from '../sdk/src/index.js';
import { checkAddCheckpoint, cosignatureLine, witnessIdentity, witnessLogs, type WitnessState } from '../reference-log/src/witness/core.js';
import { startWitness } from '../reference-log/src/witness/server.js';
import { createCosigner } from '../reference-log/src/cosigning/index.js';
import { benchTree, cosigningRound, rate, ratio } from './rate.js';

const log = new SeedSigner(sha256(utf8('bench log')));
const wkey = new SeedSigner(sha256(utf8('bench witness')));
const tree = benchTree();
const OLD = 3000;
const NEW = 4000;
const sthNew = await signTreeHead(log, { size: BigInt(NEW), rootHash: tree.root(NEW) });
const proof = tree.consistencyProof(OLD, NEW);
const body = `old ${OLD}\n${proof.map((h) => Buffer.from(h).toString('base64') + '\n').join('')}\n${signedCheckpointNote(sthNew, log.publicKey)}`;
const logs = witnessLogs([log.publicKey]);
const identity = witnessIdentity(wkey);
const stored: WitnessState = { size: BigInt(OLD), rootHash: tree.root(OLD) };

console.log(`witness: add-checkpoint ${OLD} → ${NEW} (${proof.length} proof hashes)`);
const msg = utf8('x'.repeat(120));
const sig = await log.sign(msg);
const base = await rate('baseline: Ed25519 verify + sign (SDK)', async () => {
  await verify(log.publicKey, msg, sig);
  await wkey.sign(msg);
});
const core = await rate('pure decision + cosignature line', async () => {
  const r = await checkAddCheckpoint(body, logs, () => stored);
  if (!r.ok) throw new Error(r.message);
  await cosignatureLine(identity, r.log, r.next, 1n);
});
ratio('pure decision vs crypto floor', core, base);

const dir = mkdtempSync(join(tmpdir(), 'sigsum-bench-witness-'));
try {
  const w = await startWitness({ signer: wkey, statePath: join(dir, 'w.db'), logKeys: [log.publicKey] });
  // Bring the witness to OLD, then NEW; afterwards re-cosigning NEW (old = new) is a 200 that writes every time.
  const sthOld = await signTreeHead(log, { size: BigInt(OLD), rootHash: tree.root(OLD) });
  const fromEmpty = `old 0\n\n${signedCheckpointNote(sthOld, log.publicKey)}`;
  for (const b of [fromEmpty, body]) {
    const r = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: b });
    if (r.status !== 200) throw new Error(`setup: ${r.status} ${await r.text()}`);
    await r.text();
  }
  const same = `old ${NEW}\n\n${signedCheckpointNote(sthNew, log.publicKey)}`;
  const http = await rate('HTTP add-checkpoint (old = new, 200, state write)', async () => {
    const r = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: same });
    if (r.status !== 200) throw new Error(`${r.status}`);
    await r.text();
  });
  ratio('HTTP vs pure decision', http, core);
  const conflict = await rate('HTTP add-checkpoint answered 409', async () => {
    const r = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: fromEmpty });
    if (r.status !== 409) throw new Error(`${r.status}`);
    await r.text();
  });
  ratio('409 vs 200', conflict, http);

  const w2 = await startWitness({ signer: new SeedSigner(sha256(utf8('bench witness 2'))), statePath: join(dir, 'w2.db'), logKeys: [log.publicKey] });
  const policy = parsePolicy(
    `log ${toHex(log.publicKey)}\nwitness A ${toHex(wkey.publicKey)} ${w.url}\nwitness B ${toHex(new SeedSigner(sha256(utf8('bench witness 2'))).publicKey)} ${w2.url}\ngroup g all A B\nquorum g\n`,
  );
  const cosigner = createCosigner({ policy, logPublicKey: log.publicKey, consistencyProof: (o, n) => tree.consistencyProof(o, n), timeoutMs: 5000 });
  const rounds = await rate('cosigning round, 2 witnesses over HTTP', cosigningRound(log, cosigner, tree, NEW));
  ratio('cosigning round vs one HTTP add-checkpoint', rounds, http);
  await w2.close();
  await w.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
