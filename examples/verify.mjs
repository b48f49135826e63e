// Verify a Sigsum proof offline, as a web app or a Node service would.
// Usage: node examples/verify.mjs DATA-FILE PROOF-FILE POLICY-FILE SUBMITTER-PUBKEY-FILE
import { readFile } from 'node:fs/promises';
import { parseOpenSshPublicKeys, parsePolicy, parseProof, verifyProof } from '@sigsum-kit/sdk';

const [dataFile, proofFile, policyFile, keyFile] = process.argv.slice(2);
const policy = parsePolicy(await readFile(policyFile)); // parse once, reuse for many proofs
const proof = parseProof(await readFile(proofFile));
const submitterKeys = parseOpenSshPublicKeys(await readFile(keyFile, 'utf8')).map((k) => k.publicKey);

const result = await verifyProof(proof, { data: await readFile(dataFile), submitterKeys, policy });
if (result.ok) {
  console.log(`valid: leaf ${result.details.leafIndex} in a tree of size ${result.details.treeSize}`);
} else {
  console.error(`invalid: step ${result.step} (${result.stepName}) failed: ${result.message}`);
  process.exitCode = 1;
}
