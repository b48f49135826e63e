/**
 * The PKCS#11 signer against a real software token (SoftHSM 2 in a temp
 * directory, keys made by OpenSC's pkcs11-tool or by generatePkcs11Key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { verify } from '@sigsum-kit/sdk';
import { Pkcs11Signer, Pkcs11SignerError, generatePkcs11Key, loadSigningKey } from '@sigsum-kit/sdk/node';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from './softhsm.js';

let hsm: SoftHsm;
const msg = new TextEncoder().encode('tree head to sign');

beforeAll(() => {
  hsm = createSoftHsm();
  // The module reads its configuration at C_Initialize, in this process.
  process.env.SOFTHSM2_CONF = hsm.env.SOFTHSM2_CONF;
  hsm.initToken('sigsum');
  hsm.keygen('sigsum', 'logkey', '01');
  hsm.keygen('sigsum', 'otherkey', '02');
  hsm.keygen('sigsum', 'exportable', '03', { extractable: true });
  // A token nobody logs in to before the wrong-PIN test (login state is per token and process).
  hsm.initToken('second');
  hsm.keygen('second', 'logkey', '01');
});
afterAll(() => hsm.cleanup());

async function errorOf(p: Promise<unknown>): Promise<Pkcs11SignerError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Pkcs11SignerError);
    return e as Pkcs11SignerError;
  }
  throw new Error('expected a Pkcs11SignerError');
}

function toolPublicKey(label: string): Uint8Array {
  return hsm.publicKey('sigsum', label);
}

describe('PKCS#11 signer on SoftHSM', () => {
  it('signs with a non-extractable token key; signatures verify under the key pkcs11-tool reads', async () => {
    const signer = await Pkcs11Signer.open(hsm.uri('sigsum', 'logkey'));
    expect(signer.publicKey).toEqual(toolPublicKey('logkey'));
    expect(signer.warnings).toEqual([]);
    const sig = await signer.sign(msg);
    expect(await verify(signer.publicKey, msg, sig)).toBe(true);
    // Concurrent requests share one session: they are serialized, none fails.
    const sigs = await Promise.all(Array.from({ length: 8 }, (_, i) => signer.sign(Uint8Array.of(i))));
    for (let i = 0; i < 8; i++) expect(await verify(signer.publicKey, Uint8Array.of(i), sigs[i]!)).toBe(true);
    await signer.close();
  });

  it('selects the key by id, takes the PIN from an environment variable, and loads through loadSigningKey', async () => {
    const uri = `pkcs11:token=sigsum;id=%02?module-path=${SOFTHSM_MODULE}&pin-source=env:TEST_TOKEN_PIN`;
    const k = await loadSigningKey(uri, {}, { env: { TEST_TOKEN_PIN: hsm.pin } });
    expect(k.source).toBe('pkcs11');
    expect(k.signer.publicKey).toEqual(toolPublicKey('otherkey'));
    const e = await errorOf(loadSigningKey(uri, {}, { env: {} }));
    expect(e.code).toBe('pkcs11.pin');
    expect(e.message).toContain('TEST_TOKEN_PIN');
  });

  it('flags an extractable key with a warning', async () => {
    const signer = await Pkcs11Signer.open(hsm.uri('sigsum', 'exportable'));
    expect(signer.warnings.join('\n')).toMatch(/extractable \(CKA_EXTRACTABLE true\)/);
    await signer.close();
  });

  it('refuses a wrong PIN without revealing either PIN', async () => {
    const uri = `pkcs11:token=second;object=logkey?module-path=${SOFTHSM_MODULE}&pin-source=env:P`;
    const e = await errorOf(Pkcs11Signer.open(uri, { env: { P: '11113333' } }));
    expect(e.code).toBe('pkcs11.pin');
    expect(e.message).toContain('CKR_PIN_INCORRECT');
    expect(e.message).not.toContain('11113333');
    expect(e.message).not.toContain(hsm.pin);
  });

  it('refuses a token key that is not the configured key', async () => {
    const expected = toolPublicKey('otherkey');
    const e = await errorOf(Pkcs11Signer.open(hsm.uri('sigsum', 'logkey'), { expectedPublicKey: expected }));
    expect(e.code).toBe('pkcs11.key-mismatch');
    expect(e.message).toMatch(/the token's key [0-9a-f]{64} is not the configured key [0-9a-f]{64}/);
  });

  it('names a missing key, a missing token and a missing module', async () => {
    expect((await errorOf(Pkcs11Signer.open(hsm.uri('sigsum', 'nosuchkey')))).code).toBe('pkcs11.no-key');
    expect((await errorOf(Pkcs11Signer.open(hsm.uri('nosuchtoken', 'logkey')))).code).toBe('pkcs11.token');
    const e = await errorOf(Pkcs11Signer.open('pkcs11:object=k?module-path=/nonexistent/libpkcs11.so'));
    expect(e.code).toBe('pkcs11.module');
  });

  it('generates a non-extractable key in the token, then finds the same key again', async () => {
    const uri = hsm.uri('sigsum', 'generated');
    const first = await generatePkcs11Key(uri);
    expect(first.created).toBe(true);
    expect(first.signer.warnings).toEqual([]);
    expect(first.signer.publicKey).toEqual(toolPublicKey('generated'));
    const attrs = execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', 'sigsum', '--login', '--pin', hsm.pin, '--list-objects', '--type', 'privkey', '--label', 'generated'], {
      env: { ...process.env, ...hsm.env },
      encoding: 'utf8',
    });
    expect(attrs).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    const again = await generatePkcs11Key(uri);
    expect(again.created).toBe(false);
    expect(again.signer.publicKey).toEqual(first.signer.publicKey);
  });

  it('stops signing while the token is unreadable and resumes by itself when it is back', async () => {
    const signer = await Pkcs11Signer.open(hsm.uri('sigsum', 'logkey'), { retryMs: 0 });
    expect(signer.healthy).toBe(true);
    hsm.hideTokens();
    try {
      const e1 = await errorOf(signer.sign(msg));
      expect(e1.code).toBe('pkcs11.sign');
      expect(signer.healthy).toBe(false);
      // The next attempt reopens the module, which cannot read its token directory.
      expect((await errorOf(signer.sign(msg))).code).toBe('pkcs11.init');
    } finally {
      hsm.restoreTokens();
    }
    const sig = await signer.sign(msg);
    expect(signer.healthy).toBe(true);
    expect(await verify(signer.publicKey, msg, sig)).toBe(true);
  });
});
