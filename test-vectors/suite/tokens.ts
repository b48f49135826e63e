/**
 * Vector suite for `tokens.json`: token creation (deterministic), signed data,
 * `sigsum-token` header formatting and parsing, TXT record name/value/zone
 * line, token verification checks and domain normalization.
 */
import {
  SUBMIT_TOKEN_NAMESPACE,
  SeedSigner,
  TOKEN_HEADER_NAME,
  createToken,
  formatTokenHeader,
  formatTxtRecordLine,
  fromHex,
  namespacedMessage,
  normalizeDomainName,
  parseTokenHeader,
  parseTxtRecord,
  toHex,
  txtRecordName,
  verifyToken,
  verifyTokenWithRecords,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '../index.js';
import { result, type CaseResult } from './types.js';

const FILE = 'tokens';

/** Run every case of tokens.json. */
export default async function tokensSuite(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('tokens');
  const out: CaseResult[] = [];
  for (const c of v.cases) {
    const eq = (what: string, got: string, want: string): void => {
      out.push(result(FILE, `${c.name}/${what}`, want, got));
    };
    const signer = new SeedSigner(fromHex(c.rate_limit_key.seed));
    const logPub = fromHex(c.log_key.public_key);
    eq('signed-data', toHex(namespacedMessage(SUBMIT_TOKEN_NAMESPACE, logPub)), c.signed_data);
    const token = await createToken(signer, logPub);
    eq('token', toHex(token), c.token);
    eq('create-output', toHex(token) + '\n', c.sigsum_token_create_output);
    eq('header-name', TOKEN_HEADER_NAME, c.header_name);
    const header = formatTokenHeader({ domain: c.domain, token });
    eq('header-value', header, c.header_value);
    eq('create-domain-output', `${TOKEN_HEADER_NAME.toLowerCase()}: ${header}\n`, c.sigsum_token_create_domain_output);
    const h = parseTokenHeader(c.header_value);
    eq('header-parse', `${h.domain} ${toHex(h.token)}`, `${c.domain} ${c.token}`);
    eq('txt-record-name', txtRecordName(c.domain), c.txt_record_name);
    eq('txt-record-value', toHex(parseTxtRecord(c.txt_record_value)), c.rate_limit_key.public_key);
    eq('record-output', formatTxtRecordLine(signer.publicKey) + '\n', c.sigsum_token_record_output);
    for (const k of c.checks) {
      const ok = await verifyToken(fromHex(k.public_key), fromHex(k.log_public_key), fromHex(k.token));
      eq(`check-${k.name}`, ok ? 'valid' : 'invalid', k.expect);
      // The same verdict through the DNS record path (a malformed record and the key).
      const viaRecords = await verifyTokenWithRecords(['not-hex', k.public_key], fromHex(k.log_public_key), fromHex(k.token));
      eq(`check-${k.name}/records`, viaRecords.valid && viaRecords.badKeys === 1 ? 'valid' : 'invalid', k.expect);
    }
  }
  for (const c of v.headers) {
    try {
      const h = parseTokenHeader(c.value);
      const fieldsOk = h.domain === c.domain && toHex(h.token) === c.token;
      out.push(result(FILE, `header/${c.name}`, c.expect, 'valid', fieldsOk ? undefined : `${h.domain} ${toHex(h.token)}`, fieldsOk));
    } catch (e) {
      out.push(result(FILE, `header/${c.name}`, c.expect, 'invalid', (e as Error).message));
    }
  }
  for (const c of v.normalize) {
    const name = `normalize/${JSON.stringify(c.input)}`;
    try {
      const n = normalizeDomainName(c.input);
      out.push(result(FILE, name, c.expect, 'valid', `got ${JSON.stringify(n)}`, n === c.normalized));
    } catch (e) {
      out.push(result(FILE, name, c.expect, 'invalid', (e as Error).message));
    }
  }
  return out;
}
