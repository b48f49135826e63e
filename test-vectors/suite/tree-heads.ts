/**
 * Vector suite for `tree-heads.json`: origins, checkpoint texts, log
 * signatures, signed-note checkpoints, key IDs, cosigned texts, cosignatures
 * (ASCII and note-line forms), get-tree-head bodies and every `checks` verdict.
 */
import {
  SeedSigner,
  checkpointText,
  cosignTreeHead,
  cosignatureMessage,
  fromHex,
  keyHash,
  logKeyId,
  parseCosignatureBody,
  parseCosignatureLines,
  parseCosignedTreeHeadBody,
  parseSignedNote,
  parseSigsumCheckpoint,
  serializeCosignature,
  serializeCosignatureLines,
  serializeCosignedTreeHead,
  serializeSignedTreeHead,
  serializeSigsumCheckpoint,
  signTreeHead,
  toHex,
  treeHeadOrigin,
  verifyCosignature,
  verifyCosignatureLine,
  verifySigsumCheckpoint,
  verifyTreeHeadSignature,
  witnessKeyName,
  type Cosignature,
  type CosignedTreeHead,
  type TreeHead,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors, type TreeHeadVector } from '../index.js';
import { result, type CaseResult } from './types.js';

const FILE = 'tree-heads';


const ORIGIN_PREFIX = 'sigsum.org/v1/tree/';

async function verdict(p: Promise<boolean>): Promise<string> {
  return (await p) ? 'valid' : 'invalid';
}

async function runCase(c: TreeHeadVector, out: CaseResult[]): Promise<void> {
  const eq = (what: string, got: string, want: string): void => {
    out.push(result(FILE, `${c.name}/${what}`, want, got));
  };
  const logSigner = new SeedSigner(fromHex(c.log.seed));
  const logPub = fromHex(c.log.public_key);
  const logKeyHash = keyHash(logPub);
  const th: TreeHead = { size: BigInt(c.size), rootHash: fromHex(c.root_hash) };
  eq('log-public-key', toHex(logSigner.publicKey), c.log.public_key);
  eq('log-key-hash', toHex(logKeyHash), c.log.key_hash);
  eq('origin', treeHeadOrigin(logKeyHash), c.origin);
  eq('checkpoint-text', checkpointText(th, logKeyHash), c.checkpoint_text);
  const sth = await signTreeHead(logSigner, th);
  eq('log-signature', toHex(sth.signature), c.log_signature);
  eq('log-key-id', toHex(logKeyId(c.origin, logPub)), c.log_key_id);
  eq('signed-tree-head-body', serializeSignedTreeHead(sth), c.signed_tree_head_body);

  // Signed note form (checkpoint.Checkpoint.ToASCII) both ways.
  const cp = { ...sth, origin: c.origin, keyId: fromHex(c.log_key_id) };
  eq('signed-note', serializeSigsumCheckpoint(cp), c.signed_note);
  const parsedCp = parseSigsumCheckpoint(c.signed_note);
  eq('signed-note-parse', `${parsedCp.origin} ${parsedCp.size} ${toHex(parsedCp.rootHash)} ${toHex(parsedCp.keyId)} ${toHex(parsedCp.signature)}`, `${c.origin} ${c.size} ${c.root_hash} ${c.log_key_id} ${c.log_signature}`);
  const note = parseSignedNote(c.signed_note);
  eq('signed-note-generic', `${note.text}|${note.signatures.map((s) => `${s.name} ${toHex(s.keyId)} ${toHex(s.signature)}`).join(',')}`, `${c.checkpoint_text}|${c.origin} ${c.log_key_id} ${c.log_signature}`);
  try {
    await verifySigsumCheckpoint(parsedCp, logPub);
    eq('signed-note-verify', 'valid', 'valid');
  } catch (e) {
    eq('signed-note-verify', 'invalid', 'valid');
    out[out.length - 1]!.detail = (e as Error).message;
  }

  const cosigs: Cosignature[] = [];
  for (const [i, w] of c.cosignatures.entries()) {
    const p = `cosig-${i}`;
    const signer = new SeedSigner(fromHex(w.witness.seed));
    const ts = BigInt(w.timestamp);
    eq(`${p}/cosigned-text`, cosignatureMessage(th, logKeyHash, ts), w.cosigned_text);
    const cs = await cosignTreeHead(signer, th, logKeyHash, ts);
    eq(`${p}/signature`, toHex(cs.signature), w.signature);
    eq(`${p}/key-hash`, toHex(cs.keyHash), w.witness.key_hash);
    eq(`${p}/ascii-line`, serializeCosignature(cs), w.cosignature_line);
    const back = parseCosignatureBody(w.cosignature_line);
    eq(`${p}/ascii-parse`, `${toHex(back.keyHash)} ${back.timestamp} ${toHex(back.signature)}`, `${w.witness.key_hash} ${w.timestamp} ${w.signature}`);
    eq(`${p}/note-key-name`, witnessKeyName(cs.keyHash), w.note_key_name);
    const lines = parseCosignatureLines(w.note_signature_line);
    const l = lines[0];
    eq(`${p}/note-line-parse`, l === undefined ? 'none' : `${l.keyName} ${toHex(l.keyId)} ${l.timestamp} ${toHex(l.signature)}`, `${w.note_key_name} ${w.note_key_id} ${w.timestamp} ${w.signature}`);
    eq(`${p}/note-line-serialize`, serializeCosignatureLines(lines), w.note_signature_line);
    const wpub = fromHex(w.witness.public_key);
    for (const k of w.checks) {
      let got: string;
      const key = k.public_key === undefined ? wpub : fromHex(k.public_key);
      const tsk = k.name === 'timestamp-plus-one' ? ts + 1n : ts;
      if (k.origin !== undefined) {
        const otherHash = fromHex(k.origin.slice(ORIGIN_PREFIX.length));
        got = await verdict(verifyCosignature({ ...cs, timestamp: tsk }, key, th, otherHash));
        // Same verdict through the note-line form with an explicit origin.
        eq(`${p}/check-${k.name}/note`, await verdict(verifyCosignatureLine({ ...l!, timestamp: tsk }, key, th, k.origin)), k.expect);
      } else {
        got = await verdict(verifyCosignature({ ...cs, timestamp: tsk }, key, th, logKeyHash));
      }
      eq(`${p}/check-${k.name}`, got, k.expect);
    }
    cosigs.push(cs);
  }

  const cth: CosignedTreeHead = { ...sth, cosignatures: cosigs };
  eq('get-tree-head-body', serializeCosignedTreeHead(cth), c.get_tree_head_body);
  const parsed = parseCosignedTreeHeadBody(c.get_tree_head_body);
  eq('get-tree-head-parse', serializeCosignedTreeHead(parsed), c.get_tree_head_body);

  for (const k of c.log_signature_checks) {
    const key = k.public_key === undefined ? logPub : fromHex(k.public_key);
    const s = {
      size: k.size === undefined ? th.size : BigInt(k.size),
      rootHash: k.root_hash === undefined ? th.rootHash : fromHex(k.root_hash),
      signature: k.signature === undefined ? sth.signature : fromHex(k.signature),
    };
    eq(`log-check-${k.name}`, await verdict(verifyTreeHeadSignature(s, key)), k.expect);
  }
}

/** Run every case of tree-heads.json. */
export default async function treeHeadsSuite(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('tree-heads');
  const out: CaseResult[] = [];
  for (const c of v.cases) await runCase(c, out);
  return out;
}
