/**
 * sigsum-go keys.json (the parts owned by the key-format module): every
 * public key line through `parseOpenSshPublicKey` (Go's
 * `key.ParsePublicKeyWithPolicyName`), every private key file through
 * `parsePrivateKeyFile` (Go's `key.ParsePrivateKey`), and for each key: our
 * private key serialization equals Go's byte for byte given the same
 * check-int, our public key line, `to-hex` and `to-hash` outputs, and the
 * `sign -n` output.
 */
import {
  SigsumError,
  formatOpenSshPrivateKey,
  formatOpenSshPublicKey,
  fromHex,
  keyHash,
  namespacedMessage,
  parseOpenSshPrivateKey,
  parseOpenSshPublicKey,
  parsePrivateKeyFile,
  publicKeyFromSeed,
  signWithSeed,
  toHex,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import type { CaseResult } from './types.js';
import { result } from './types.js';

const FILE = 'keys';

function attempt<T>(run: () => T): { value?: T; got: string; detail?: string } {
  try {
    return { value: run(), got: 'valid' };
  } catch (e) {
    if (e instanceof SigsumError) return { got: 'invalid', detail: `${e.code}: ${e.message}` };
    return { got: 'crash', detail: String(e) };
  }
}

/** Run the key-format cases of keys.json. */
export async function checkKeys(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('keys');
  const out: CaseResult[] = [];

  for (const c of v.public_key_parsing) {
    const r = attempt(() => parseOpenSshPublicKey(c.text));
    let ok = true;
    let detail = r.detail ?? (r.got === 'valid' ? undefined : c.go_error);
    if (r.value !== undefined && c.expect === 'valid') {
      ok = toHex(r.value.publicKey) === c.public_key && (r.value.policyName ?? '') === c.policy_name;
      if (!ok) detail = `key ${toHex(r.value.publicKey)} policy ${r.value.policyName ?? ''}`;
    }
    out.push(result(FILE, `public/${c.name}`, c.expect, r.got, detail, ok));
  }

  for (const c of v.private_key_parsing) {
    const r = attempt(() => {
      const f = parsePrivateKeyFile(c.text);
      if (f.kind !== 'private') throw new Error('parsed as a public key');
      return f.key;
    });
    let ok = true;
    if (r.value !== undefined && c.expect === 'valid') ok = toHex(r.value.publicKey) === c.public_key && toHex(publicKeyFromSeed(r.value.seed)) === c.public_key;
    out.push(result(FILE, `private/${c.name}`, c.expect, r.got, r.detail ?? c.go_error, ok));
  }

  for (const k of v.keys) {
    const seed = fromHex(k.seed!);
    const pub = publicKeyFromSeed(seed);
    out.push(result(FILE, `key/${k.name}/public`, k.public_key!, toHex(pub)));
    const parsed = attempt(() => parseOpenSshPrivateKey(k.openssh_private_key!));
    const ourFile = parsed.value === undefined ? '' : formatOpenSshPrivateKey(seed, parsed.value.checkInt);
    out.push(result(FILE, `key/${k.name}/private-serialization`, 'identical', ourFile === k.openssh_private_key ? 'identical' : 'differs', parsed.detail ?? ourFile));
    const seedOk = parsed.value !== undefined && toHex(parsed.value.seed) === k.seed && parsed.value.comment === '';
    out.push(result(FILE, `key/${k.name}/private-parse`, 'valid', parsed.got, parsed.detail, seedOk));
    out.push(result(FILE, `key/${k.name}/public-line`, k.openssh_public_key!, formatOpenSshPublicKey(pub)));
    out.push(result(FILE, `key/${k.name}/to-hex`, k.to_hex_output!, toHex(pub) + '\n'));
    out.push(result(FILE, `key/${k.name}/to-hash`, k.to_hash_output!, toHex(keyHash(pub)) + '\n'));
    const sig = signWithSeed(seed, namespacedMessage(k.sign_namespace!, fromHex(k.sign_message!)));
    out.push(result(FILE, `key/${k.name}/sign-namespace`, k.sign_namespace_output!, toHex(sig) + '\n'));
  }
  return out;
}
