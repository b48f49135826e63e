/**
 * Vector suite for the signed-note parts of `witness.json` and `keys.json`:
 * every add-checkpoint request body must parse exactly when sigsum-witness did
 * not answer 400 (with the parsed fields and byte-exact re-serialization for
 * the base cases), log-signature verdicts for the 403 cases, the witness's
 * cosignature response lines and 409 bodies, and the vkey cases.
 */
import {
  ParseError,
  SIG_TYPE_COSIGNATURE,
  SIG_TYPE_ED25519,
  SeedSigner,
  VerificationError,
  cosignCheckpoint,
  cosignedText,
  formatTlogSize,
  formatVkey,
  fromHex,
  keyId,
  parseAddCheckpointRequest,
  parseCosignatureLines,
  parseTlogSize,
  parseVkey,
  serializeAddCheckpointRequest,
  serializeCosignatureLines,
  toHex,
  treeHeadOrigin,
  verifyCosignatureLine,
  verifySigsumCheckpoint,
  witnessKeyName,
  type AddCheckpointRequest,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '../index.js';
import { result, type CaseResult } from './types.js';

function describeRequest(r: AddCheckpointRequest): string {
  const cp = r.checkpoint;
  return `${r.oldSize} [${r.proof.map(toHex).join(',')}] ${cp.origin} ${cp.size} ${toHex(cp.rootHash)} ${toHex(cp.keyId)} ${toHex(cp.signature)}`;
}

async function witnessCases(out: CaseResult[]): Promise<void> {
  const FILE = 'witness';
  const v = await loadSigsumVectors('witness');
  const logPub = fromHex(v.log.public_key);
  const witness = new SeedSigner(fromHex(v.witness.seed));
  const eq = (name: string, got: string, want: string, detail?: string): void => {
    out.push(result(FILE, name, want, got, detail));
  };
  eq('log/origin', treeHeadOrigin(fromHex(v.log.key_hash)), v.log.origin);
  eq('log/vkey', formatVkey(v.log.origin, SIG_TYPE_ED25519, logPub), v.log.vkey);
  eq('witness/key-name', witnessKeyName(fromHex(v.witness.key_hash)), v.witness.key_name);
  eq('witness/key-id', toHex(keyId(v.witness.key_name, SIG_TYPE_COSIGNATURE, witness.publicKey)), v.witness.key_id);
  eq('witness/vkey', formatVkey(v.witness.key_name, SIG_TYPE_COSIGNATURE, witness.publicKey), v.witness.vkey);

  for (const c of v.cases) {
    const wantParse = c.expect_status === 400 ? 'invalid' : 'valid';
    let req: AddCheckpointRequest;
    try {
      req = parseAddCheckpointRequest(c.request_body);
    } catch (e) {
      const typed = e instanceof ParseError;
      out.push(result(FILE, `${c.name}/parse`, wantParse, typed ? 'invalid' : 'untyped-error', (e as Error).message));
      continue;
    }
    eq(`${c.name}/parse`, 'valid', wantParse);
    if (wantParse === 'invalid') continue;

    if (c.checkpoint !== undefined) {
      const cp = c.checkpoint;
      eq(`${c.name}/fields`, describeRequest(req), `${c.old_size} [${(c.consistency_proof ?? []).join(',')}] ${cp.origin} ${cp.size} ${cp.root_hash} ${cp.log_key_id} ${cp.log_signature}`);
      eq(`${c.name}/serialize`, serializeAddCheckpointRequest(req), c.request_body);
    }
    // Log signature verdict: 403 means the key id or signature is wrong; 404 is another log's checkpoint.
    if (c.expect_status !== 404) {
      let got = 'valid';
      let detail: string | undefined;
      try {
        await verifySigsumCheckpoint(req.checkpoint, logPub);
      } catch (e) {
        got = e instanceof VerificationError ? 'invalid' : 'untyped-error';
        detail = (e as Error).message;
      }
      eq(`${c.name}/log-signature`, got, c.expect_status === 403 ? 'invalid' : 'valid', detail);
    }
    if (c.expect_status === 409 && c.response_body !== undefined) {
      eq(`${c.name}/tlog-size`, parseTlogSize(c.response_body).toString(), c.state_size);
      eq(`${c.name}/tlog-size-format`, formatTlogSize(BigInt(c.state_size)), c.response_body);
    }
    if (c.expect_status === 200 && c.response_body !== undefined) {
      const cp = req.checkpoint;
      const ts = BigInt(c.timestamp);
      eq(`${c.name}/cosigned-text`, cosignedText(cp, cp.origin, ts), c.cosigned_text!);
      const line = await cosignCheckpoint(witness, cp, cp.origin, ts);
      eq(`${c.name}/response`, serializeCosignatureLines([line]), c.response_body);
      const parsed = parseCosignatureLines(c.response_body);
      eq(`${c.name}/response-parse`, parsed.map((l) => `${l.keyName} ${toHex(l.keyId)} ${l.timestamp} ${toHex(l.signature)}`).join(','), `${v.witness.key_name} ${c.response_key_id} ${c.timestamp} ${c.response_signature}`);
      eq(`${c.name}/response-verify`, (await verifyCosignatureLine(parsed[0]!, witness.publicKey, cp, cp.origin)) ? 'valid' : 'invalid', 'valid');
    }
  }
}

async function vkeyCases(out: CaseResult[]): Promise<void> {
  const FILE = 'keys';
  const v = await loadSigsumVectors('keys');
  for (const c of v.vkey_parsing) {
    try {
      const k = parseVkey(c.vkey);
      const ok = k.name === c.key_name && k.type === c.type && toHex(k.publicKey) === c.public_key;
      out.push(result(FILE, `vkey/${c.name}`, c.expect, 'valid', `${k.name} ${k.type} ${toHex(k.publicKey)}`, ok));
      out.push(result(FILE, `vkey/${c.name}/format`, c.vkey, formatVkey(k.name, k.type, k.publicKey)));
    } catch (e) {
      out.push(result(FILE, `vkey/${c.name}`, c.expect, e instanceof ParseError || e instanceof VerificationError ? 'invalid' : 'untyped-error', (e as Error).message));
    }
  }
  for (const k of v.keys) {
    const pub = fromHex(k.public_key);
    const origin = treeHeadOrigin(fromHex(k.key_hash));
    out.push(result(FILE, `${k.name}/vkey-ed25519`, k.vkey_ed25519, formatVkey(origin, SIG_TYPE_ED25519, pub)));
    out.push(result(FILE, `${k.name}/vkey-ed25519-key-id`, k.vkey_ed25519_key_id, toHex(keyId(origin, SIG_TYPE_ED25519, pub))));
    out.push(result(FILE, `${k.name}/vkey-cosignature`, k.vkey_cosignature, formatVkey(k.vkey_cosignature_name, SIG_TYPE_COSIGNATURE, pub)));
    out.push(result(FILE, `${k.name}/vkey-cosignature-key-id`, k.vkey_cosignature_key_id, toHex(parseVkey(k.vkey_cosignature).keyId)));
  }
}

/** Run the signed-note cases of witness.json and keys.json. */
export default async function noteSuite(): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  await witnessCases(out);
  await vkeyCases(out);
  return out;
}
