/**
 * Keys in a PKCS#11 token (SoftHSM 2 in a temp directory) vs file keys, same run:
 * - Ed25519 signatures/s: file key (SDK) vs SoftHSM through pkcs11js
 *   (CKM_EDDSA; every token signature is verified before it is returned, so
 *   the fair baseline is file sign + verify, shown too), in-thread and
 *   through the worker thread the log and witness use (token-signer.ts;
 *   needs the built reference-log/dist for the worker);
 * - time to a cosigned tree head: sign the head with the log key, then one
 *   cosigning round with a reference witness over HTTP (the witness's key a
 *   file key, then in the token as well).
 * Needs softhsm2 and opensc (scripts/install-system-deps.sh).
 * Run: npx tsx bench/pkcs11.bench.ts
 */
import { join } from 'node:path';
import { SeedSigner, parsePolicy, sha256, toHex, utf8, verify, type Signer } from '../sdk/src/index.js';
import { Pkcs11Signer } from '../sdk/src/node.js';
import { startWitness } from '../reference-log/src/witness/server.js';
import { createCosigner } from '../reference-log/src/cosigning/index.js';
import { openTokenSigner } from '../reference-log/src/token-signer.js';
import { createSoftHsm } from '../sdk/test/softhsm.js';
import { benchTree, cosigningRound, rate, ratio } from './rate.js';

const hsm = createSoftHsm('sigsum-bench-pkcs11-');
process.env.SOFTHSM2_CONF = hsm.env.SOFTHSM2_CONF;
try {
  hsm.initToken('bench');
  hsm.keygen('bench', 'log', '01');
  hsm.keygen('bench', 'witness', '02');
  const tokenLog = await Pkcs11Signer.open(hsm.uri('bench', 'log'));
  const tokenWitness = await Pkcs11Signer.open(hsm.uri('bench', 'witness'));
  const fileLog = new SeedSigner(sha256(utf8('bench log')));
  const fileWitness = new SeedSigner(sha256(utf8('bench witness')));

  console.log('signatures (120-byte message, sequential)');
  const msg = utf8('x'.repeat(120));
  const file = await rate('file key: sign', () => fileLog.sign(msg));
  const fileVerified = await rate('file key: sign + verify', async () => {
    const s = await fileLog.sign(msg);
    if (!(await verify(fileLog.publicKey, msg, s))) throw new Error('bad signature');
  });
  const token = await rate('SoftHSM (pkcs11js, CKM_EDDSA) + verify', () => tokenLog.sign(msg));
  const worker = await openTokenSigner(hsm.uri('bench', 'log'));
  const threaded = await rate('SoftHSM via the worker thread (log, witness) + verify', () => worker.sign(msg));
  await worker.close();
  ratio('SoftHSM vs file key sign + verify', token, fileVerified);
  ratio('worker thread vs in-thread SoftHSM', threaded, token);
  ratio('SoftHSM vs file key sign', token, file);
  const batch = await rate('SoftHSM, batches of 8 concurrent requests', async () => {
    await Promise.all(Array.from({ length: 8 }, () => tokenLog.sign(msg)));
  });
  console.log(`  (8 concurrent: ${(batch * 8).toFixed(0)} signatures/s; one session, serialized)`);

  console.log('time to a cosigned tree head (sign + 1 witness over HTTP)');
  const tree = benchTree();
  const dir = hsm.dir;
  // Three set-ups measured in rotation, three times each (median shown), so that load changes on a
  // shared machine do not favour whichever runs first.
  const setups: { label: string; logKey: Signer; witnessKey: Signer; rates: number[] }[] = [
    { label: 'log file key, witness file key', logKey: fileLog, witnessKey: fileWitness, rates: [] },
    { label: 'log key in SoftHSM, witness file key', logKey: tokenLog, witnessKey: fileWitness, rates: [] },
    { label: 'log and witness keys in SoftHSM', logKey: tokenLog, witnessKey: tokenWitness, rates: [] },
  ];
  const running = await Promise.all(
    setups.map(async (u, i) => {
      const w = await startWitness({ signer: u.witnessKey, statePath: join(dir, `w${i}.db`), logKeys: [u.logKey.publicKey] });
      const policy = parsePolicy(`log ${toHex(u.logKey.publicKey)}\nwitness W ${toHex(u.witnessKey.publicKey)} ${w.url}\nquorum W\n`);
      const cosigner = createCosigner({ policy, logPublicKey: u.logKey.publicKey, consistencyProof: (o, n) => tree.consistencyProof(o, n), timeoutMs: 5000 });
      return { w, round: cosigningRound(u.logKey, cosigner, tree, 1) };
    }),
  );
  try {
    for (let rep = 1; rep <= 3; rep++) {
      for (let i = 0; i < setups.length; i++) {
        const u = setups[i]!;
        const r = running[i]!;
        u.rates.push(
          await rate(`${u.label} (run ${rep})`, r.round),
        );
      }
    }
  } finally {
    for (const r of running) await r.w.close();
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[1]!;
  for (const u of setups) console.log(`  median ${u.label.padEnd(49)} ${median(u.rates).toFixed(1).padStart(10)} /s  (${(1000 / median(u.rates)).toFixed(1)} ms per cosigned head)`);
  ratio('log key in SoftHSM vs file keys', median(setups[1]!.rates), median(setups[0]!.rates));
  ratio('both in SoftHSM vs file keys', median(setups[2]!.rates), median(setups[0]!.rates));
  await tokenLog.close();
  await tokenWitness.close();
} finally {
  hsm.cleanup();
}
