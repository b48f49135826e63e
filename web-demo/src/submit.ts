/**
 * Submit page: make or import an Ed25519 key in the browser, pick a file, sign
 * its checksum, submit it with the SDK's `submitMessage` to the log named in
 * the policy, and watch it go 202 → 200 → cosigned tree head → inclusion proof;
 * then download the (SDK-verified) Sigsum proof and the public key.
 * The private key never leaves this page.
 */
import {
  SeedSigner, SubmitError, formatOpenSshPrivateKey, formatOpenSshPublicKey, keyHash, parseCosignedTreeHeadBody, parsePolicy, parsePrivateKeyFile,
  serializeProof, sha256, submitMessage, toHex, type Policy,
} from '@sigsum-kit/sdk';
import { download, el, errorText, fileField, shortHex } from './ui.js';
import { logErrorText } from './log.js';
import { stackDefaults } from './stack-defaults.js';
import { prefillVerify } from './verify.js';

/** Build the submit page. */
export function submitPage(): HTMLElement {
  let signer: SeedSigner | undefined;
  let proofText: string | undefined;
  let fileName = 'data';

  // 1. Key.
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

  // 2. File, 3. policy.
  const data = fileField('s-data', 'File to submit', 'Pick or drop the file (or type text); SHA-256 of its bytes is what gets signed.', { binary: true, rows: 2 });
  const policy = fileField('s-policy', 'Policy: the log to submit to (with its URL) and the witness quorum the proof must meet', 'log <hex key> http://127.0.0.1:6965/\nwitness W1 <hex key>\nquorum W1', { rows: 5 });
  if (stackDefaults) policy.set(stackDefaults.policy);

  const go = el('button', { type: 'button', id: 's-run' }, ['Sign and submit']);
  const steps = el('ul', { class: 'status-log', id: 's-status', 'aria-live': 'polite' });
  const result = el('div', { id: 's-result' });
  const dlProof = el('button', { type: 'button', id: 's-dl-proof', class: 'secondary', disabled: '' }, ['Download proof']);
  dlProof.addEventListener('click', () => { if (proofText) download(`${fileName}.proof`, proofText); });
  const toVerify = el('button', { type: 'button', id: 's-verify', class: 'secondary', disabled: '' }, ['Verify this proof →']);
  let submitted: { bytes: Uint8Array; policy: string } | undefined;
  toVerify.addEventListener('click', () => {
    if (!proofText || !signer || !submitted) return;
    prefillVerify({ data: { name: fileName, bytes: submitted.bytes }, proof: { name: `${fileName}.proof`, text: proofText }, policy: submitted.policy, publicKey: publicKeyLine(signer.publicKey) });
    location.hash = '#verify';
  });

  // The stages a submission goes through, lit up as the log answers.
  const stageNames = { signed: 'signed', accepted: '202 accepted', sequenced: '200 sequenced', cosigned: 'cosigned tree head', proof: 'proof verified' } as const;
  const stages = el('ol', { class: 'stages', id: 's-stages' }, Object.entries(stageNames).map(([k, v]) => el('li', { 'data-stage': k }, [v])));
  // A later stage implies the earlier ones (the SDK may find the leaf in a tree head before any add-leaf 200).
  const stageOrder = Object.keys(stageNames) as Array<keyof typeof stageNames>;
  const mark = (stage: keyof typeof stageNames): void => {
    for (const k of stageOrder.slice(0, stageOrder.indexOf(stage) + 1)) stages.querySelector(`[data-stage="${k}"]`)?.classList.add('done');
  };

  let lastLine: { text: string; li: HTMLLIElement; count: number } | undefined;
  const say = (text: string, cls = ''): void => {
    // Repeated polls collapse into one line with a counter.
    if (lastLine?.text === text) { lastLine.count++; lastLine.li.dataset.count = String(lastLine.count); lastLine.li.lastChild!.textContent = ` (×${lastLine.count})`; return; }
    const li = el('li', { class: cls }, [`${new Date().toLocaleTimeString()}  ${text}`, el('span', { class: 'muted' })]);
    steps.append(li);
    lastLine = { text, li, count: 1 };
  };

  go.addEventListener('click', () => void (async () => {
    steps.replaceChildren();
    for (const li of stages.children) li.classList.remove('done');
    lastLine = undefined;
    result.replaceChildren();
    proofText = undefined;
    dlProof.disabled = true;
    toVerify.disabled = true;
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
      say(`signed: message = SHA-256(${fileName}) = ${toHex(message)}`);
      mark('signed');
      const proof = await submitMessage(signer, message, {
        policy: pol,
        pollDelayMs: 500,
        timeoutMs: 120_000,
        requestTimeoutMs: 10_000,
        fetch: observingFetch(say, mark),
      });
      proofText = serializeProof(proof);
      mark('proof');
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
    el('div', { class: 'card' }, [el('h3', {}, ['1. Key']), el('div', { class: 'row' }, [gen, dlPub, dlPriv]), keyInfo, imp.root, impBtn]),
    el('div', { class: 'card' }, [el('h3', {}, ['2. File']), data.root]),
    el('div', { class: 'card' }, [el('h3', {}, ['3. Log and policy']), policy.root]),
    el('div', { class: 'row' }, [go, dlProof, toVerify]),
    stages, steps, result,
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

/**
 * A fetch that reports what the log answers while the SDK submits:
 * add-leaf 202/200, each tree head (size, cosignatures), inclusion proof 404/200.
 */
function observingFetch(say: (text: string, cls?: string) => void, mark: (stage: 'accepted' | 'sequenced' | 'cosigned') => void): typeof fetch {
  // The SDK asks for an inclusion proof only in tree heads that meet the policy's quorum.
  return async (input, init) => {
    const req = input instanceof Request ? input : undefined;
    const url = req?.url ?? String(input);
    const res = await fetch(input, init);
    const endpoint = /\/(add-leaf|get-tree-head|get-inclusion-proof)(\/|$)/.exec(new URL(url).pathname)?.[1];
    if (endpoint === 'add-leaf') {
      if (res.status === 202) { say('add-leaf → 202 Accepted: the log has the leaf but has not sequenced it yet'); mark('accepted'); }
      else if (res.status === 200) { say('add-leaf → 200 OK: the leaf will be in the next tree head', 'ok'); mark('sequenced'); }
      else say(`add-leaf → ${res.status}`, 'bad');
    } else if (endpoint === 'get-tree-head' && res.status === 200) {
      try {
        const th = parseCosignedTreeHeadBody(new Uint8Array(await res.clone().arrayBuffer()));
        say(`cosigned tree head: size ${th.size}, ${th.cosignatures.length} cosignature(s)`);
      } catch { /* the SDK reports malformed answers itself */ }
    } else if (endpoint === 'get-inclusion-proof') {
      if (res.status === 404) say('inclusion proof → 404: not in that tree head yet, waiting for the next one');
      else if (res.status === 200) { say('inclusion proof → 200: the leaf is in a cosigned tree head', 'ok'); mark('cosigned'); }
    }
    return res;
  };
}

/** The OpenSSH public key line (with its newline), as sigsum-go writes it. */
function publicKeyLine(pub: Uint8Array): string {
  return formatOpenSshPublicKey(pub, { comment: 'sigsum-kit web demo' });
}
