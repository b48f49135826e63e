/**
 * Submit page: make or import an Ed25519 key in the browser, pick a file, sign
 * its checksum, submit to a log and watch the submission go from 202 to 200 to
 * a cosigned tree head; then download the Sigsum proof and the public key.
 * The private key never leaves this page.
 */
import { SeedSigner, formatOpenSshPrivateKey, formatOpenSshPublicKey, keyHash, parsePolicy, parsePrivateKeyFile, sha256, toHex } from '@sigsum-kit/sdk';
import { download, el, errorText, fileField, shortHex } from './ui.js';
import { defaultLogUrl, checkLogUrl, logErrorText, rememberLogUrl } from './log.js';
import { sdkExport, hasSdkExport } from './sdk-api.js';

/** Build the submit page. */
export function submitPage(): HTMLElement {
  let signer: SeedSigner | undefined;
  let proofText: string | undefined;
  let fileName = 'data';

  const keyInfo = el('div', { id: 's-key-info', class: 'muted' }, ['No key yet.']);
  const gen = el('button', { type: 'button', id: 's-gen' }, ['Generate a new key']);
  const imp = fileField('s-import', 'or import an OpenSSH private key (unencrypted)', '-----BEGIN OPENSSH PRIVATE KEY-----', { rows: 3 });
  const impBtn = el('button', { type: 'button', id: 's-import-run', class: 'secondary' }, ['Import']);
  const dlPub = el('button', { type: 'button', id: 's-dl-pub', class: 'secondary', disabled: '' }, ['Download public key']);
  const dlPriv = el('button', { type: 'button', id: 's-dl-priv', class: 'secondary', disabled: '' }, ['Download private key']);

  const setSigner = (s: SeedSigner): void => {
    signer = s;
    const pubLine = publicKeyLine(s.publicKey);
    keyInfo.replaceChildren(
      el('div', {}, ['public key: ', el('code', { id: 's-pub' }, [pubLine])]),
      el('div', {}, ['key hash: ', shortHex(toHex(keyHash(s.publicKey)), 32)]),
    );
    dlPub.disabled = false;
    dlPriv.disabled = false;
  };
  gen.addEventListener('click', () => setSigner(SeedSigner.generate()));
  impBtn.addEventListener('click', () => {
    try {
      const f = parsePrivateKeyFile(imp.text.value);
      if (f.kind !== 'private') throw new Error('this is a public key; the browser needs the private key file (its private half cannot be reached through ssh-agent here)');
      setSigner(new SeedSigner(f.key.seed));
    } catch (e) { keyInfo.replaceChildren(el('div', { class: 'error', id: 's-key-error' }, [`cannot import the key: ${errorText(e)}`])); }
  });
  dlPub.addEventListener('click', () => { if (signer) download('submitter.key.pub', publicKeyLine(signer.publicKey)); });
  // The private key file, for use with the sigsum command; written in the browser, never sent anywhere.
  dlPriv.addEventListener('click', () => {
    if (signer) download('submitter.key', formatOpenSshPrivateKey(signer.exportSeed(), crypto.getRandomValues(new Uint8Array(4)), 'sigsum-kit web demo'));
  });

  const data = fileField('s-data', 'File to submit', 'Pick or drop the file; its SHA-256 is what gets signed.', { binary: true, rows: 2 });
  const url = el('input', { type: 'url', id: 's-url', value: defaultLogUrl(), size: '40' });
  const policy = fileField('s-policy', "Policy (the log and the witness quorum the proof must meet)", 'log <hex key> <url>\nwitness …\nquorum …', { rows: 5 });
  const go = el('button', { type: 'button', id: 's-run' }, ['Sign and submit']);
  const steps = el('ul', { class: 'status-log', id: 's-status', 'aria-live': 'polite' });
  const result = el('div', { id: 's-result' });
  const dlProof = el('button', { type: 'button', id: 's-dl-proof', class: 'secondary', disabled: '' }, ['Download proof']);
  dlProof.addEventListener('click', () => { if (proofText) download(`${fileName}.proof`, proofText); });

  const say = (text: string, cls = ''): void => { steps.append(el('li', { class: cls }, [`${new Date().toLocaleTimeString()} ${text}`])); };

  go.addEventListener('click', () => void (async () => {
    steps.replaceChildren();
    result.replaceChildren();
    proofText = undefined;
    dlProof.disabled = true;
    if (!signer) { say('Generate or import a key first.', 'bad'); return; }
    const bytes = data.bytes();
    if (data.fileName() === undefined && bytes.length === 0) { say('Pick a file (or type some text) to submit.', 'bad'); return; }
    fileName = data.fileName() ?? 'data';
    let base: string;
    try { base = checkLogUrl(url.value.trim()); } catch (e) { say(errorText(e), 'bad'); return; }
    rememberLogUrl(base);
    go.disabled = true;
    try {
      const message = sha256(bytes);
      say(`message = SHA-256(${fileName}) = ${toHex(message)}`);
      let pol: unknown;
      try { pol = parsePolicy(policy.text.value); } catch (e) { throw new Error(`policy: ${errorText(e)}`); }
      if (!hasSdkExport('submit')) throw new Error('this build of the SDK has no submit yet');
      const submit = sdkExport<(o: unknown) => Promise<{ proof: unknown; text?: string }>>('submit');
      const out = await submit({
        signer, message, policy: pol, logUrls: [base],
        onProgress: (ev: { stage?: string; status?: number; message?: string }) => say(ev.message ?? `${ev.stage ?? ''} ${ev.status ?? ''}`.trim()),
      });
      const serialize = sdkExport<(p: unknown) => string>('serializeProof');
      proofText = out.text ?? serialize(out.proof);
      say('proof verified in the browser — ready to download', 'ok');
      result.replaceChildren(el('pre', { id: 's-proof' }, [proofText]));
      dlProof.disabled = false;
    } catch (e) {
      say(logErrorText(e, base), 'bad');
    } finally {
      go.disabled = false;
    }
  })());

  return el('section', { id: 'submit' }, [
    el('h2', {}, ['Sign and submit a file']),
    el('div', { class: 'card' }, [el('h3', {}, ['1. Key']), el('div', { class: 'row' }, [gen, dlPub, dlPriv]), keyInfo, imp.root, impBtn]),
    el('div', { class: 'card' }, [el('h3', {}, ['2. File']), data.root]),
    el('div', { class: 'card' }, [el('h3', {}, ['3. Log']), el('div', { class: 'row' }, [el('label', { for: 's-url' }, ['Log URL']), url]), policy.root]),
    el('div', { class: 'row' }, [go, dlProof]),
    steps, result,
  ]);
}

/** The OpenSSH public key line (with its newline), as sigsum-go writes it. */
function publicKeyLine(pub: Uint8Array): string {
  return formatOpenSshPublicKey(pub, { comment: 'sigsum-kit web demo' });
}
