/**
 * sigsum-go policies.json: every policy text through `parsePolicy` (same
 * verdict as `policy.ParseConfig`, same line number where Go names one), every
 * quorum evaluation through `Policy.quorumHolds`, the evaluations Go confirmed
 * with `VerifyCosignedTreeHead` replayed with real signatures through
 * `verifyCosignedTreeHead` (same counts as Go's error), and the builtin
 * policies compared with the SDK's copies.
 */
import {
  SeedSigner,
  SigsumError,
  builtinPolicies,
  cosignTreeHead,
  fromHex,
  getBuiltinPolicy,
  parsePolicy,
  sha256,
  signTreeHead,
  toHex,
  utf8,
  verifyCosignedTreeHead,
  type Cosignature,
  type Policy,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors, type PolicyVector } from '@sigsum-kit/test-vectors';
import type { CaseResult } from './types.js';
import { result } from './types.js';

const FILE = 'policies';


function parse(c: PolicyVector): { policy?: Policy; got: string; detail?: string; where?: string } {
  try {
    const policy = parsePolicy(c.text_hex !== undefined ? fromHex(c.text_hex) : c.text);
    return { policy, got: 'valid' };
  } catch (e) {
    if (e instanceof SigsumError) return { got: 'invalid', detail: `${e.code}: ${e.message}`, where: e.where };
    return { got: 'crash', detail: String(e) };
  }
}

/** Go prefixes line-numbered errors with "N: "; our `where` must name the same line. */
function sameLine(goError: string | undefined, where: string | undefined): boolean {
  const m = goError === undefined ? null : /^(\d+): /.exec(goError);
  return m === null || where === `line ${m[1]}` || (where ?? '').startsWith(`line ${m[1]} `);
}

/** "not enough cosignatures, total: T, verified: V, failed to verify: F" → [T, V, F]. */
function goCounts(goError: string | undefined): [number, number, number] | undefined {
  const m = goError === undefined ? null : /total: (\d+), verified: (\d+), failed to verify: (\d+)/.exec(goError);
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Run every case of policies.json. */
export async function checkPolicies(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('policies');
  const out: CaseResult[] = [];
  const logs = v.keys.logs;
  const signers = new Map<string, SeedSigner>();
  for (const k of [...logs, ...(v.keys.witnesses)]) signers.set(k.key_hash, new SeedSigner(fromHex(k.seed)));

  // One real tree head per log, and each witness's cosignature on it (cached).
  const root = sha256(utf8('policies.json tree'));
  const treeHeads = new Map<string, Awaited<ReturnType<typeof signTreeHead>>>();
  const cosigs = new Map<string, Cosignature>();
  async function cosignature(logKh: string, witnessKh: string): Promise<Cosignature> {
    const key = `${logKh}/${witnessKh}`;
    let c = cosigs.get(key);
    if (c === undefined) {
      c = await cosignTreeHead(signers.get(witnessKh)!, treeHeads.get(logKh)!, fromHex(logKh), 1700000000n);
      cosigs.set(key, c);
    }
    return c;
  }
  for (const l of logs) treeHeads.set(l.key_hash, await signTreeHead(signers.get(l.key_hash)!, { size: 5n, rootHash: root }));

  const cases = [...(v.cases), ...(v.builtin_policies)];
  for (const c of cases) {
    const p = parse(c);
    out.push(result(FILE, c.name, c.expect, p.got, p.detail ?? (p.got === 'valid' ? undefined : c.go_error), sameLine(c.go_error, p.where)));
    if (p.policy === undefined) continue;
    const policy = p.policy;
    for (const [i, e] of (c.quorum_evaluations ?? []).entries()) {
      const name = `${c.name}/quorum-${i}`;
      const got = policy.quorumHolds(e.cosigned_key_hashes);
      out.push(result(FILE, name, String(e.quorum), String(got), `cosigned: ${e.cosigned_key_hashes.join(',') || '-'}`));
      if (e.confirmed_by_VerifyCosignedTreeHead !== true) continue;
      // Replay with real signatures under the first log the policy trusts and we hold a key for.
      const log = policy.logs.find((l) => treeHeads.has(l.keyHashHex));
      if (log === undefined || !e.cosigned_key_hashes.every((h) => signers.has(h))) {
        out.push(result(FILE, `${name}/cth`, 'replayable', 'no key for log or witness'));
        continue;
      }
      const sth = treeHeads.get(log.keyHashHex)!;
      const cosignatures = await Promise.all(e.cosigned_key_hashes.map((h) => cosignature(log.keyHashHex, h)));
      const r = await verifyCosignedTreeHead(policy, log.keyHash, { ...sth, cosignatures });
      const counts = goCounts(e.go_error);
      const ours: [number, number, number] = [cosignatures.length, r.verifiedWitnesses.length, r.cosignatures.filter((x) => x.status === 'invalid').length];
      const countsOk = counts === undefined || counts.every((n, j) => n === ours[j]);
      out.push(result(FILE, `${name}/cth`, String(e.quorum), String(r.ok), `${r.message ?? 'ok'}; counts ${ours.join('/')}`, countsOk));
    }
  }

  // The SDK's builtin policies are sigsum-go's, byte for byte, and parse to the same policy.
  for (const b of v.builtin_policies) {
    const name = b.name.replace(/^builtin-/, '');
    const same = builtinPolicies[name] === b.text;
    let got: string;
    try {
      const p = getBuiltinPolicy(name);
      got = p === getBuiltinPolicy(name) && p.logs.length === parsePolicy(b.text).logs.length ? 'valid' : 'not cached';
    } catch (e) {
      got = e instanceof SigsumError ? 'invalid' : 'crash';
    }
    out.push(result(FILE, `builtin/${name}`, 'valid', got, same ? undefined : 'text differs from sigsum-go', same));
  }
  // Sanity: the key hashes in the vectors are what the SDK computes.
  for (const k of [...logs, ...(v.keys.witnesses)]) {
    out.push(result(FILE, `keyhash/${k.label}`, k.key_hash, toHex(sha256(fromHex(k.public_key)))));
  }
  return out;
}
