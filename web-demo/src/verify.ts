/**
 * Verify page: the data (or its SHA-256 hash), a Sigsum proof, a policy and the
 * submitter's public key(s) go into the SDK's `verifyProof`, entirely in this
 * browser. Shows the verdict and each of the proof spec's six steps with what
 * was checked, and which step failed.
 */
import { fromHex, utf8 } from '@sigsum-kit/sdk';
import { el, errorText, fileField, shortHex } from './ui.js';
import { stackDefaults } from './stack-defaults.js';
import { parseInputs, runVerify, stepViews, type StepView, type VerifyInputs } from './verify-model.js';

/** Files handed to the verify page by another page (e.g. right after a submission). */
export interface VerifyPrefill {
  data: { name: string; bytes: Uint8Array };
  proof: { name: string; text: string };
  policy: string;
  publicKey: string;
}

let applyPrefill: ((p: VerifyPrefill) => void) | undefined;
let pendingPrefill: VerifyPrefill | undefined;

/** Fill the verify page's inputs (now if it exists, else when it is built). */
export function prefillVerify(p: VerifyPrefill): void {
  if (applyPrefill) applyPrefill(p);
  else pendingPrefill = p;
}

/** The Go vector case behind "Load an example". */
const EXAMPLE_CASE = 's100-i57';

/** Build the verify page. */
export function verifyPage(): HTMLElement {
  const data = fileField('v-data', 'Data file (or its hash)', 'Drop the signed file here, pick it, or paste its text. In "hash" mode paste the 64 hex digits of SHA-256(data).', { binary: true, rows: 3 });
  const rawHash = el('input', { type: 'checkbox', id: 'v-raw' });
  const proof = fileField('v-proof', 'Sigsum proof', 'version=2\nlog=…\nleaf=…', { rows: 9 });
  const policy = fileField('v-policy', 'Policy', 'log <hex key> [url]\nwitness <name> <hex key>\nquorum <name>', { rows: 6 });
  const key = fileField('v-key', "Submitter's public key", 'ssh-ed25519 AAAA… (one or more OpenSSH keys, or 64 hex digits)', { rows: 2 });
  if (stackDefaults) policy.set(stackDefaults.policy);
  const button = el('button', { id: 'v-run', type: 'button' }, ['Verify']);
  const out = el('div', { id: 'v-result', 'aria-live': 'polite' });
  const example = el('button', { id: 'v-example', type: 'button', class: 'secondary' }, ['Load an example']);
  example.addEventListener('click', () => void (async () => {
    // A proof produced by the Go reference (shared vectors), loaded only when asked for.
    const { loadSigsumVectors } = await import('@sigsum-kit/test-vectors');
    const v = (await loadSigsumVectors('proofs')) as { cases: Array<{ name: string; data: string; proof: string; policy: string; key_file: string }> };
    const c = v.cases.find((x) => x.name === EXAMPLE_CASE)!;
    rawHash.checked = false;
    data.setFile('example.txt', fromHex(c.data));
    proof.setFile('example.txt.proof', utf8(c.proof));
    policy.setFile('example.policy', utf8(c.policy));
    key.setFile('example.pub', utf8(c.key_file));
    out.replaceChildren(el('p', { class: 'muted' }, [`Loaded the Go vector case "${EXAMPLE_CASE}": a leaf in a tree of 100 with 4 cosignatures under a nested quorum. Press Verify, then try changing a byte.`]));
  })().catch((e: unknown) => out.replaceChildren(inputError(errorText(e)))));

  button.addEventListener('click', () => {
    button.disabled = true;
    out.replaceChildren(el('p', { class: 'muted' }, ['verifying…']));
    const inputs: VerifyInputs = { data: data.bytes(), rawHash: rawHash.checked, proof: proof.bytes(), policy: policy.bytes(), keys: key.bytes() };
    void (async () => {
      try {
        const parsed = parseInputs(inputs);
        if ('error' in parsed) { out.replaceChildren(inputError(parsed.error)); return; }
        const result = await runVerify(parsed);
        out.replaceChildren(renderSteps(stepViews(parsed, result)));
      } catch (e) {
        out.replaceChildren(inputError(errorText(e)));
      } finally {
        button.disabled = false;
      }
    })();
  });

  applyPrefill = (p: VerifyPrefill): void => {
    rawHash.checked = false;
    data.setFile(p.data.name, p.data.bytes);
    proof.setFile(p.proof.name, utf8(p.proof.text));
    policy.set(p.policy);
    key.set(p.publicKey);
    out.replaceChildren(el('p', { class: 'muted' }, [`Loaded ${p.data.name}, its proof, the policy and the public key from the submission. Press Verify.`]));
  };
  if (pendingPrefill) { applyPrefill(pendingPrefill); pendingPrefill = undefined; }

  return el('section', { id: 'verify' }, [
    el('h2', {}, ['Verify a Sigsum proof']),
    el('p', { class: 'muted' }, ['Everything is checked here with the sigsum-kit SDK; no file leaves this page.']),
    el('div', { class: 'card' }, [
      data.root,
      el('div', { class: 'row' }, [rawHash, el('label', { for: 'v-raw' }, ['the data field holds the hash: SHA-256(data) as 64 hex digits (like --raw-hash)'])]),
    ]),
    el('div', { class: 'grid2' }, [el('div', { class: 'card' }, [proof.root]), el('div', { class: 'card' }, [policy.root, key.root])]),
    el('div', { class: 'row' }, [button, example]),
    out,
  ]);
}

function inputError(msg: string): HTMLElement {
  return el('div', { class: 'verdict bad', id: 'v-verdict', 'data-verdict': 'error' }, [`Cannot verify: ${msg}`]);
}

/** The verdict and one card per step. */
function renderSteps(steps: StepView[]): HTMLElement {
  const failed = steps.find((s) => s.status === 'fail');
  const verdict = failed
    ? el('div', { class: 'verdict bad', id: 'v-verdict', 'data-verdict': 'invalid', 'data-step': String(failed.n) }, [`✗ Invalid proof — step ${failed.n} (${failed.title}) failed: ${failed.error ?? ''}`])
    : el('div', { class: 'verdict ok', id: 'v-verdict', 'data-verdict': 'valid' }, ['✓ Valid proof — all six steps passed']);
  const list = el('ol', { class: 'steps' }, steps.map((s) => {
    const facts = el('dl', {}, s.facts.flatMap(([k, v]) => [el('dt', {}, [k]), el('dd', {}, [/^[0-9a-f]{64,}$/.test(v) ? shortHex(v, 32) : /^[0-9a-f]{64}/.test(v) ? el('code', {}, [v]) : v])]));
    return el('li', { class: s.status, id: `v-step-${s.n}`, 'data-status': s.status }, [
      el('div', { class: 'title' }, [`${s.status === 'pass' ? '✓' : s.status === 'fail' ? '✗' : '–'} ${s.n}. ${s.title}${s.status === 'skip' ? ' (not reached)' : ''}`]),
      el('div', { class: 'muted' }, [s.what]),
      ...(s.error ? [el('div', { class: 'error' }, [s.error])] : []),
      facts,
    ]);
  }));
  return el('div', {}, [verdict, list]);
}
