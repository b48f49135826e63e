// Sign a file's checksum, submit it to the logs of a policy, and save the proof.
// Usage: node examples/submit.mjs PRIVATE-KEY-FILE POLICY-FILE DATA-FILE
// (start a local log first with `npm start`; it prints a policy file to use)
import { readFile, writeFile } from 'node:fs/promises';
import { parsePolicy, serializeProof, sha256, submitMessage } from '@sigsum-kit/sdk';
import { loadSigner } from '@sigsum-kit/sdk/node';

const [keyFile, policyFile, dataFile] = process.argv.slice(2);
const signer = await loadSigner(keyFile); // OpenSSH private key, or a public key whose private half is in ssh-agent
const policy = parsePolicy(await readFile(policyFile));
const message = sha256(await readFile(dataFile)); // what sigsum-submit signs by default

const proof = await submitMessage(signer, message, { policy }); // verified before it is returned
await writeFile(`${dataFile}.proof`, serializeProof(proof));
console.log(`wrote ${dataFile}.proof (leaf ${proof.inclusion.leafIndex} of tree size ${proof.treeHead.size})`);
