/**
 * Submit page: make or import an Ed25519 key in the browser, pick a file, sign
 * its checksum, submit it with the SDK's `submitMessage` to the log named in
 * the policy, and watch it go 202 → 200 → cosigned tree head → inclusion proof;
 * then download the (SDK-verified) Sigsum proof and the public key.
 * The private key never leaves this page.
 */
import {
  SeedSigner, SubmitError, formatOpenSshPrivateKey, formatOpenSshPublicKey, keyHash, parsePolicy, parsePrivateKeyFile,
  serializeProof, sha256, submitMessage, toHex, type Policy, type SubmitEvent,
} from '@sigsum-kit/sdk';
import { download, el, errorText, fileField, shortHex } from './ui.js';
import { logErrorText } from './log.js';
import { stackDefaults } from './stack-defaults.js';
import { prefillVerify } from './verify.js';

/** Build the submit page. */
export function submitPage(): HTMLElement {
  let proofText: string | undefined;
  let fileName = 'data';
  const key = keyCard();

  // 2. File, 3. policy.
  const data = fileField('s-data', 'File to submit', 'Pick or drop the file (or type text); SHA-256 of its bytes is what gets signed.', { binary: true, rows: 2 });
  const policy = fileField('s-policy', 'Policy: the log to submit to (with its URL) and the witness quorum the proof must meet', 'log <hex key> http://127.0.0.1:6965/\nwitness W1 <hex key>\nquorum W1', { rows: 5 });
  if (stackDefaults) policy.set(stackDefaults.policy);

  const go = el('button', { type: 'button', id: 's-run' }, ['Sign and submit']);
  const result = el('div', { id: 's-result' });
  const dlProof = el('button', { type: 'button', id: 's-dl-proof', class: 'secondary', disabled: '' }, ['Download proof']);
  dlProof.addEventListener('click', () => { if (proofText) download(`${fileName}.proof`, proofText); });
  const toVerify = el('button', { type: 'button', id: 's-verify', class: 'secondary', disabled: '' }, ['Verify this proof →']);
  let submitted: { bytes: Uint8Array; policy: string } | undefined;
  toVerify.addEventListener('click', () => {
    const signer = key.signer();
    if (!proofText || !signer || !submitted) return;
    prefillVerify({ data: { name: fileName, bytes: submitted.bytes }, proof: { name: `${fileName}.proof`, text: proofText }, policy: submitted.policy, publicKey: publicKeyLine(signer.publicKey) });
    location.hash = '#verify';
  });

  const progress = progressView();

  go.addEventListener('click', () => void (async () => {
    progress.reset();
    const say = progress.say;
    result.replaceChildren();
    proofText = undefined;
    dlProof.disabled = true;
    toVerify.disabled = true;
    const signer = key.signer();
    if (!signer) { say('Generate or import a key first.', 'bad'); return; }
    const bytes = data.bytes();
    if (data.fileName() === undefined && bytes.length === 0) { say('Pick a file (or type some text) to submit.', 'bad'); return; }
    fileName = data.fileName() ?? 'data.txt';
    let pol: Policy;
    try { pol = parsePolicy(policy.bytes()); } catch (e) { say(`policy: ${errorText(e)}`, 'bad'); return; }
    const logs = pol.logs.filter((l) => l.url !== undefined);
    if (logs.length === 0) { say('policy: no log line has a URL; write it as `log <hex key> http://127.0.0.1:6965/`', 'bad'); return; }
    const where = logs.map((l) => l.url!).join(', ');
    go.disabled = true;
    try {
      const message = sha256(bytes);
      const proof = await submitMessage(signer, message, {
        policy: pol,
        pollDelayMs: 500,
        timeoutMs: 120_000,
        requestTimeoutMs: 10_000,
        onEvent: (e) => {
          if (e.type === 'signed') say(`signed: message = SHA-256(${fileName}) = ${toHex(message)}`);
          progress.show(e);
        },
      });
      proofText = serializeProof(proof);
      say(`proof ready: leaf ${proof.inclusion.leafIndex} in a tree of size ${proof.treeHead.size} with ${proof.treeHead.cosignatures.length} cosignature(s); verified in this browser`, 'ok');
      result.replaceChildren(el('h3', {}, ['Sigsum proof']), el('pre', { id: 's-proof' }, [proofText]));
      submitted = { bytes, policy: new TextDecoder().decode(policy.bytes()) };
      dlProof.disabled = false;
      toVerify.disabled = false;
    } catch (e) {
      // A failed batch carries the underlying failure of our one request.
      const cause = e instanceof SubmitError ? (e.failures.get(0) ?? e) : e;
      say(submitErrorText(cause, where), 'bad');
    } finally {
      go.disabled = false;
    }
  })());

  return el('section', { id: 'submit' }, [
    el('h2', {}, ['Sign and submit a file']),
    key.card,
    el('div', { class: 'card' }, [el('h3', {}, ['2. File']), data.root]),
    el('div', { class: 'card' }, [el('h3', {}, ['3. Log and policy']), policy.root]),
    el('div', { class: 'row' }, [go, dlProof, toVerify]),
    progress.stages, progress.steps, result,
  ]);
}

/** Messages for a failed submission; network failures get the log/CORS explanation. */
function submitErrorText(e: unknown, where: string): string {
  if (e instanceof SubmitError && e.code === 'submit.all-logs-failed') {
    return `no log accepted the leaf (${where}): ${e.message}. Is the log running? If it is, it may not allow requests from this page (CORS).`;
  }
  if (e instanceof SubmitError && e.code === 'submit.timeout') return `submission timed out: ${where} did not publish a tree head with the leaf cosigned to the policy's quorum in time`;
  const text = logErrorText(e, where);
  return text.startsWith('log ') ? `submission failed: ${errorText(e)}` : text;
}

/** Step 1: generate or import the submitter's key; it stays in this page. */
function keyCard(): { card: HTMLElement; signer: () => SeedSigner | undefined } {
  let signer: SeedSigner | undefined;
  const keyInfo = el('div', { id: 's-key-info', class: 'muted' }, ['No key yet.']);
  const gen = el('button', { type: 'button', id: 's-gen' }, ['Generate a new key']);
  const imp = fileField('s-import', 'or import an OpenSSH private key (unencrypted)', '-----BEGIN OPENSSH PRIVATE KEY-----', { rows: 3 });
  const impBtn = el('button', { type: 'button', id: 's-import-run', class: 'secondary' }, ['Import']);
  const dlPub = el('button', { type: 'button', id: 's-dl-pub', class: 'secondary', disabled: '' }, ['Download public key']);
  const dlPriv = el('button', { type: 'button', id: 's-dl-priv', class: 'secondary', disabled: '' }, ['Download private key']);
  const setSigner = (s: SeedSigner): void => {
    signer = s;
    keyInfo.replaceChildren(
      el('div', {}, ['public key: ', el('code', { id: 's-pub' }, [publicKeyLine(s.publicKey).trim()])]),
      el('div', {}, ['key hash: ', shortHex(toHex(keyHash(s.publicKey)), 32)]),
    );
    dlPub.disabled = false;
    dlPriv.disabled = false;
  };
  gen.addEventListener('click', () => setSigner(SeedSigner.generate()));
  impBtn.addEventListener('click', () => {
    try {
      const f = parsePrivateKeyFile(imp.text.value);
      if (f.kind !== 'private') throw new Error('this is a public key; the browser needs the private key file (it cannot reach ssh-agent)');
      setSigner(new SeedSigner(f.key.seed));
    } catch (e) { keyInfo.replaceChildren(el('div', { class: 'error', id: 's-key-error' }, [`cannot import the key: ${errorText(e)}`])); }
  });
  dlPub.addEventListener('click', () => { if (signer) download('submitter.key.pub', publicKeyLine(signer.publicKey)); });
  // The private key file, for the sigsum command; written here, never sent anywhere.
  dlPriv.addEventListener('click', () => {
    if (signer) download('submitter.key', formatOpenSshPrivateKey(signer.exportSeed(), crypto.getRandomValues(new Uint8Array(4)), 'sigsum-kit web demo'));
  });

  const card = el('div', { class: 'card' }, [el('h3', {}, ['1. Key']), el('div', { class: 'row' }, [gen, dlPub, dlPriv]), keyInfo, imp.root, impBtn]);
  return { card, signer: () => signer };
}

/** The stages a submission goes through, lit up as the SDK reports them. */
const STAGE_NAMES = { signed: 'signed', accepted: '202 accepted', sequenced: '200 published', cosigned: 'cosigned tree head', proof: 'proof verified' } as const;
type Stage = keyof typeof STAGE_NAMES;
const STAGE_ORDER = Object.keys(STAGE_NAMES) as Stage[];

/** The stage bar and the status log of one submission, driven by the SDK's submit events. */
function progressView(): { stages: HTMLElement; steps: HTMLElement; reset(): void; say(text: string, cls?: string): void; show(e: SubmitEvent): void } {
  const stages = el('ol', { class: 'stages', id: 's-stages' }, STAGE_ORDER.map((k) => el('li', { 'data-stage': k }, [STAGE_NAMES[k]])));
  const steps = el('ul', { class: 'status-log', id: 's-status', 'aria-live': 'polite' });
  // A later stage implies the earlier ones (the SDK may find the leaf in a tree head before any add-leaf 200).
  const mark = (stage: Stage): void => {
    for (const k of STAGE_ORDER.slice(0, STAGE_ORDER.indexOf(stage) + 1)) stages.querySelector(`[data-stage="${k}"]`)?.classList.add('done');
  };
  let lastLine: { text: string; li: HTMLLIElement; count: number } | undefined;
  const say = (text: string, cls = ''): void => {
    // Repeated polls collapse into one line with a counter.
    if (lastLine?.text === text) { lastLine.count++; lastLine.li.dataset.count = String(lastLine.count); lastLine.li.lastChild!.textContent = ` (×${lastLine.count})`; return; }
    const li = el('li', { class: cls }, [`${new Date().toLocaleTimeString()}  ${text}`, el('span', { class: 'muted' })]);
    steps.append(li);
    lastLine = { text, li, count: 1 };
  };
  const show = (e: SubmitEvent): void => {
    switch (e.type) {
      case 'signed': mark('signed'); break;
      case 'accepted': say('add-leaf → 202 Accepted: the log has the leaf, but the tree head it serves does not cover it yet'); mark('accepted'); break;
      case 'sequenced': say('add-leaf → 200 OK: the tree head the log serves covers the leaf', 'ok'); mark('sequenced'); break;
      case 'add-leaf-failed': say(`add-leaf → ${e.status ?? e.message}`, 'bad'); break;
      case 'tree-head': say(`cosigned tree head: size ${e.size}, ${e.cosignatures} cosignature(s)`); break;
      case 'inclusion-proof':
        // Asked only in tree heads that meet the policy's quorum.
        if (e.found) { say('inclusion proof → 200: the leaf is in a cosigned tree head', 'ok'); mark('cosigned'); }
        else say('inclusion proof → 404: not in that tree head yet, waiting for the next one');
        break;
      case 'verified': mark('proof'); break;
    }
  };
  const reset = (): void => {
    steps.replaceChildren();
    for (const li of stages.children) li.classList.remove('done');
    lastLine = undefined;
  };
  return { stages, steps, reset, say, show };
}

/** The OpenSSH public key line (with its newline), as sigsum-go writes it. */
function publicKeyLine(pub: Uint8Array): string {
  return formatOpenSshPublicKey(pub, { comment: 'sigsum-kit web demo' });
}
