/**
 * Vector suite for `ascii.json`: every key=value body of the log API through
 * the SDK's body parsers, with Go's verdict, the parsed fields and (for
 * canonical bodies) byte-exact re-serialization; plus the decimal integers.
 */
import {
  parseAddLeafRequest,
  parseConsistencyProofBody,
  parseCosignatureBody,
  parseCosignedTreeHeadBody,
  parseInclusionProofBody,
  parseLeavesBody,
  parseSignedTreeHeadBody,
  parseTreeHeadBody,
  parseUint63,
  serializeAddLeafRequest,
  serializeConsistencyProof,
  serializeCosignature,
  serializeCosignedTreeHead,
  serializeInclusionProof,
  serializeLeaves,
  serializeSignedTreeHead,
  serializeTreeHead,
  toHex,
  verifyAddLeafRequest,
  type Cosignature,
  type Leaf,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '../index.js';
import { result, type CaseResult } from './types.js';

const FILE = 'ascii';

type Fields = Record<string, unknown>;

const cosigFields = (c: Cosignature): Fields => ({ key_hash: toHex(c.keyHash), timestamp: c.timestamp.toString(), signature: toHex(c.signature) });
const leafFields = (l: Leaf): Fields => ({ checksum: toHex(l.checksum), signature: toHex(l.signature), key_hash: toHex(l.keyHash) });

/** Parse `body` as `kind`; return the parsed fields in the vector's shape and the re-serialized body. */
async function parseKind(kind: string, body: string): Promise<{ fields: Fields; out: string }> {
  switch (kind) {
    case 'add-leaf-request': {
      const r = parseAddLeafRequest(body);
      let signatureValid = true;
      try {
        await verifyAddLeafRequest(r);
      } catch {
        signatureValid = false;
      }
      return {
        fields: { message: toHex(r.message), signature: toHex(r.signature), public_key: toHex(r.publicKey), signature_valid: signatureValid },
        out: serializeAddLeafRequest(r),
      };
    }
    case 'tree-head': {
      const t = parseTreeHeadBody(body);
      return { fields: { size: t.size.toString(), root_hash: toHex(t.rootHash) }, out: serializeTreeHead(t) };
    }
    case 'signed-tree-head': {
      const t = parseSignedTreeHeadBody(body);
      return { fields: { size: t.size.toString(), root_hash: toHex(t.rootHash), signature: toHex(t.signature) }, out: serializeSignedTreeHead(t) };
    }
    case 'cosigned-tree-head': {
      const t = parseCosignedTreeHeadBody(body);
      return {
        fields: { size: t.size.toString(), root_hash: toHex(t.rootHash), signature: toHex(t.signature), cosignatures: t.cosignatures.map(cosigFields) },
        out: serializeCosignedTreeHead(t),
      };
    }
    case 'cosignature': {
      const c = parseCosignatureBody(body);
      return { fields: cosigFields(c), out: serializeCosignature(c) };
    }
    case 'inclusion-proof': {
      const p = parseInclusionProofBody(body);
      return { fields: { leaf_index: p.leafIndex.toString(), path: p.path.map(toHex) }, out: serializeInclusionProof(p) };
    }
    case 'consistency-proof': {
      const p = parseConsistencyProofBody(body);
      return { fields: { path: p.path.map(toHex) }, out: serializeConsistencyProof(p) };
    }
    case 'leaves': {
      // The vectors were made with LeavesFromASCII(body, maxCount = 4).
      const l = parseLeavesBody(body, { maxCount: 4 });
      return { fields: { leaves: l.map(leafFields) }, out: serializeLeaves(l) };
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

/** Order-insensitive on object keys, exact on values (cosignature order compared as sorted by key hash). */
function sameFields(got: Fields, want: Fields): boolean {
  const norm = (f: Fields): string => {
    const c = { ...f };
    if (Array.isArray(c.cosignatures)) c.cosignatures = [...(c.cosignatures as Fields[])].sort((a, b) => String(a.key_hash).localeCompare(String(b.key_hash)));
    return JSON.stringify(Object.keys(c).sort().map((k) => [k, c[k]]));
  };
  return norm(got) === norm(want);
}

/** A body is canonical when it is exactly what sigsum-go would write: lowercase hex, cosignatures sorted. */
function isCanonical(body: string): boolean {
  if (body !== body.toLowerCase()) return false;
  const cos = body.split('\n').filter((l) => l.startsWith('cosignature='));
  return cos.every((l, i) => i === 0 || cos[i - 1]! < l);
}

/** Run every case of ascii.json. */
export default async function asciiSuite(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('ascii');
  const out: CaseResult[] = [];
  for (const c of v.cases) {
    try {
      const { fields, out: reser } = await parseKind(c.kind, c.body);
      const fieldsOk = c.parsed === undefined || sameFields(fields, c.parsed);
      const canonical = isCanonical(c.body);
      const reserOk = !canonical || reser === c.body;
      const detail = !fieldsOk ? `parsed ${JSON.stringify(fields)}` : !reserOk ? `re-serialized ${JSON.stringify(reser)}` : undefined;
      out.push(result(FILE, `${c.kind}:${c.name}`, c.expect, 'valid', detail, fieldsOk && reserOk));
    } catch (e) {
      out.push(result(FILE, `${c.kind}:${c.name}`, c.expect, 'invalid', (e as Error).message));
    }
  }
  for (const c of v.integers) {
    const name = `integer:${JSON.stringify(c.input)}`;
    try {
      const n = parseUint63(c.input);
      out.push(result(FILE, name, c.expect, 'valid', `value ${n}`, c.value === n.toString()));
    } catch (e) {
      out.push(result(FILE, name, c.expect, 'invalid', (e as Error).message));
    }
  }
  return out;
}
