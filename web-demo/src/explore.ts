/**
 * Explore page: a log's current cosigned tree head and its witnesses (checked
 * against a policy when one is given), the most recent leaves, a picture of the
 * Merkle tree with one leaf's inclusion path (compared with the log's own
 * inclusion proof), and a consistency check between two tree heads. The log is
 * read through its v1 API or through tlog-tiles (checkpoint verified under the
 * policy, every tile and entry bundle verified against its root).
 */
import {
  MemoryTree, bytesEqual, fromBase64, fromHex, hashNode, leafHashOf, parsePolicy, toHex, verifyConsistency, verifyCosignedTreeHead, verifyInclusion,
  type CosignedTreeHead, type Policy, type PolicyLog,
} from '@sigsum-kit/sdk';
import { el, errorText, fileField, shortHex } from './ui.js';
import { checkLogUrl, defaultLogUrl, hasPresetLogUrl, logErrorText, rememberLogUrl } from './log.js';
import { readThroughTiles, readThroughV1, tilesErrorText, type LogReader } from './log-reader.js';
import { stackDefaults } from './stack-defaults.js';
import { buildTree, drawTree, inclusionPath, type TreeNode } from './treeview.js';

/** Largest tree the page draws (the picture gets unreadable beyond). */
export const MAX_DRAWN_LEAVES = 64;
/** How many recent leaves the page lists. */
export const RECENT_LEAVES = 10;

/** A tree head remembered for the consistency check. */
interface SeenHead { size: bigint; rootHash: Uint8Array; from: string }

/** Build the explore page. */
export function explorePage(): HTMLElement {
  const url = el('input', { type: 'url', id: 'x-url', value: defaultLogUrl(), size: '40' });
  const load = el('button', { id: 'x-load', type: 'button' }, ['Load']);
  const via = el('select', { id: 'x-via', title: 'How to read the log' }, [
    el('option', { value: 'v1' }, ['v1 API']),
    el('option', { value: 'tiles' }, ['tiles (tlog-tiles)']),
  ]);
  const policy = fileField('x-policy', 'Policy (optional: names the witnesses and checks the signatures and the quorum)', 'log <hex key> <url>\nwitness …\nquorum …', { rows: 4 });
  if (stackDefaults) policy.set(stackDefaults.policy);
  const status = el('div', { id: 'x-status', 'aria-live': 'polite' });
  const head = el('div', { id: 'x-head', class: 'card' }, [el('p', { class: 'muted' }, [hasPresetLogUrl() ? 'Loading the tree head…' : 'Load a log to see its tree head.'])]);
  const leaves = el('div', { id: 'x-leaves', class: 'card' });
  const tree = el('div', { id: 'x-tree', class: 'card' });
  const cons = el('div', { id: 'x-cons', class: 'card' });
  const seen: SeenHead[] = [];
  // Only the newest Load may write to the page (an earlier one can answer later).
  let generation = 0;

  const run = async (): Promise<void> => {
    const mine = ++generation;
    status.replaceChildren();
    let base: string;
    let pol: Policy | undefined;
    const tiles = via.value === 'tiles';
    try {
      base = checkLogUrl(url.value.trim());
      if (policy.text.value.trim() !== '') {
        try { pol = parsePolicy(policy.text.value); } catch (e) { throw new Error(`policy: ${errorText(e)}`); }
      }
      if (tiles && !pol) throw new Error('reading through tiles needs a policy: the checkpoint is only trusted once the policy\'s log key (and quorum) verify it');
    } catch (e) { status.replaceChildren(el('div', { class: 'error', id: 'x-error' }, [errorText(e)])); return; }
    rememberLogUrl(base);
    load.disabled = true;
    try {
      let reader: LogReader;
      let th: CosignedTreeHead;
      let log: PolicyLog | undefined;
      if (tiles) {
        const r = await readThroughTiles(base, pol!);
        ({ reader, treeHead: th, log } = r);
      } else {
        reader = readThroughV1(base);
        th = await reader.treeHead();
      }
      if (mine !== generation) return;
      if (!seen.some((s) => s.size === th.size && bytesEqual(s.rootHash, th.rootHash))) seen.push({ size: th.size, rootHash: th.rootHash, from: 'log' });
      head.replaceChildren(await renderHead(th, pol, base, log, tiles));
      await showLeaves(reader, th, leaves, tree);
      renderConsistency(cons, reader, seen);
    } catch (e) {
      if (mine === generation) status.replaceChildren(el('div', { class: 'error', id: 'x-error' }, [tiles ? tilesErrorText(e, base) : logErrorText(e, base)]));
    } finally {
      if (mine === generation) load.disabled = false;
    }
  };
  load.addEventListener('click', () => void run());
  // A log chosen beforehand is shown at once; the bare default waits for Load.
  if (hasPresetLogUrl()) queueMicrotask(() => void run());

  return el('section', { id: 'explore' }, [
    el('h2', {}, ['Explore the log']),
    el('div', { class: 'card' }, [el('div', { class: 'row' }, [el('label', { for: 'x-url' }, ['Log URL']), url, el('label', { for: 'x-via' }, ['read through']), via, load]), policy.root]),
    status, head, leaves, tree, cons,
  ]);
}

/**
 * The tree head; with a policy, each cosignature's witness name and verdict,
 * and the quorum. `known` is the policy's log when the caller already knows it
 * (a checkpoint names its log by key hash).
 */
async function renderHead(th: CosignedTreeHead, pol: Policy | undefined, base: string, known: PolicyLog | undefined, tiles: boolean): Promise<HTMLElement> {
  const checks = new Map<string, string>();
  let summary: HTMLElement = el('p', { class: 'muted', id: 'x-quorum' }, ['No policy given: signatures not checked.']);
  if (pol) {
    // The policy's log at this URL; a policy with one log needs no URL.
    const log = known ?? pol.logs.find((l) => sameUrl(l.url, base)) ?? (pol.logs.length === 1 ? pol.logs[0] : undefined);
    if (!log) {
      summary = el('p', { class: 'bad', id: 'x-quorum' }, [`The policy has no log with the URL ${base}.`]);
    } else {
      const r = await verifyCosignedTreeHead(pol, log.keyHash, th);
      for (const c of r.cosignatures) checks.set(c.keyHashHex, `${c.witness?.name ?? 'unknown witness'}: ${c.status}`);
      summary = el('p', { class: r.ok ? 'ok' : 'bad', id: 'x-quorum' }, [r.ok
        ? `✓ log signature valid (log ${toHex(log.keyHash).slice(0, 16)}…); quorum holds with ${r.verifiedWitnesses.length} verified cosignature(s)`
        : `✗ ${r.message ?? r.failure ?? 'tree head does not verify'}`]);
    }
  }
  const cos = th.cosignatures;
  return el('div', {}, [
    el('h3', {}, [tiles ? 'Cosigned tree head (tiles checkpoint)' : 'Cosigned tree head']),
    tiles
      ? el('p', { class: 'muted', id: 'x-via-note' }, ['Read through tiles: the checkpoint passed the policy, and every tile and entry bundle below is checked against its root hash before use.'])
      : el('span', {}),
    el('dl', { class: 'kv' }, [
      el('dt', {}, ['size']), el('dd', { id: 'x-size' }, [String(th.size)]),
      el('dt', {}, ['root hash']), el('dd', {}, [shortHex(toHex(th.rootHash), 32)]),
      el('dt', {}, ['log signature']), el('dd', {}, [shortHex(toHex(th.signature), 16)]),
    ]),
    summary,
    el('h4', {}, [`Witness cosignatures (${cos.length})`]),
    cos.length === 0
      ? el('p', { class: 'muted' }, ['none'])
      : el('table', { class: 'cases', id: 'x-cosigs' }, [
        el('tr', {}, [el('th', {}, ['witness key hash']), el('th', {}, ['time']), el('th', {}, ['signature']), el('th', {}, ['check'])]),
        ...cos.map((c) => el('tr', {}, [
          el('td', {}, [shortHex(toHex(c.keyHash), 16)]),
          el('td', {}, [`${new Date(Number(c.timestamp) * 1000).toISOString()} (${c.timestamp})`]),
          el('td', {}, [shortHex(toHex(c.signature), 12)]),
          el('td', {}, [checks.get(toHex(c.keyHash)) ?? '–']),
        ])),
      ]),
  ]);
}

async function showLeaves(client: LogReader, th: CosignedTreeHead, leavesBox: HTMLElement, treeBox: HTMLElement): Promise<void> {
  const size = th.size;
  if (size === 0n) {
    leavesBox.replaceChildren(el('p', { class: 'muted' }, ['The log is empty.']));
    treeBox.replaceChildren();
    return;
  }
  const start = size > BigInt(RECENT_LEAVES) ? size - BigInt(RECENT_LEAVES) : 0n;
  const recent = await client.leaves(start, size);
  leavesBox.replaceChildren(
    el('h3', {}, [`Recent leaves (${start}–${size - 1n}, newest first)`]),
    el('table', { class: 'cases', id: 'x-recent' }, [
      el('tr', {}, [el('th', {}, ['index']), el('th', {}, ['leaf hash']), el('th', {}, ['checksum']), el('th', {}, ['submitter key hash'])]),
      ...recent.map((l, i) => el('tr', {}, [
        el('td', {}, [String(start + BigInt(i))]),
        el('td', {}, [shortHex(toHex(leafHashOf(l)), 12)]),
        el('td', {}, [shortHex(toHex(l.checksum), 12)]),
        el('td', {}, [shortHex(toHex(l.keyHash), 12)]),
      ])).reverse(),
    ]),
  );
  if (size > BigInt(MAX_DRAWN_LEAVES)) {
    treeBox.replaceChildren(el('p', { class: 'muted' }, [`The tree has ${size} leaves; the picture is drawn for trees of up to ${MAX_DRAWN_LEAVES} leaves.`]));
    return;
  }
  const hashes = (await client.leaves(0n, size)).map((l) => leafHashOf(l));
  const mem = MemoryTree.fromLeafHashes(hashes);
  const root = buildTree(hashes, hashNode);
  const rootOk = bytesEqual(mem.root(), th.rootHash) && bytesEqual(root.hash, th.rootHash);
  const pick = el('input', { type: 'number', id: 'x-leaf', min: '0', max: String(size - 1n), value: String(size - 1n) });
  const pathBox = el('div', { id: 'x-path' });
  const picture = el('div', { class: 'tree-scroll', id: 'x-picture' });
  const choose = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= Number(size)) { pathBox.replaceChildren(el('p', { class: 'bad' }, [`leaf index must be 0…${size - 1n}`])); return; }
    pick.value = String(i);
    picture.replaceChildren(drawTree(root, i, choose));
    void checkPath(client, root, mem, i, th, pathBox);
  };
  pick.addEventListener('change', () => choose(Number(pick.value)));
  treeBox.replaceChildren(
    el('h3', {}, ['Merkle tree']),
    el('p', { class: rootOk ? 'ok' : 'bad', id: 'x-root-check' }, [rootOk ? `✓ the ${size} leaves hash to the signed root hash` : '✗ the leaves do NOT hash to the signed root hash']),
    el('div', { class: 'row' }, [el('label', { for: 'x-leaf' }, ['Inclusion path of leaf']), pick, el('span', { class: 'muted' }, ['(or click a leaf) — blue: the leaf and its route to the root; yellow: the proof hashes'])]),
    picture, pathBox,
  );
  choose(Number(size - 1n));
}

/** Compare the drawn path, the SDK's MemoryTree proof and the log's (or the tiles') inclusion proof, and verify it. */
async function checkPath(client: LogReader, root: TreeNode, mem: MemoryTree, i: number, th: CosignedTreeHead, box: HTMLElement): Promise<void> {
  const { route, siblings } = inclusionPath(root, i);
  const leaf = route[route.length - 1]!;
  const drawn = siblings.map((s) => toHex(s.hash));
  const rows: HTMLElement[] = [el('p', {}, ['Leaf ', el('code', {}, [`#${i}`]), ` (hash ${toHex(leaf.hash).slice(0, 16)}…): ${drawn.length} proof hash(es), leaf first:`])];
  rows.push(el('ol', {}, drawn.map((h) => el('li', {}, [shortHex(h, 24)]))));
  try {
    const local = mem.inclusionProof(i).map((h) => toHex(h));
    const fromLog = (await client.inclusionPath(i, th.size, leaf.hash)).map((h) => toHex(h));
    const same = fromLog.length === drawn.length && fromLog.every((h, j) => h === drawn[j] && h === local[j]);
    verifyInclusion(leaf.hash, BigInt(i), th.size, fromLog.map((h) => fromHex(h)), th.rootHash);
    rows.push(el('p', { class: same ? 'ok' : 'bad', id: 'x-path-check' }, [same
      ? `✓ ${client.proofSource} inclusion proof has exactly these hashes, and it verifies against the signed root hash`
      : `✗ ${client.proofSource} inclusion proof differs from the drawn path`]));
  } catch (e) {
    rows.push(el('p', { class: 'bad', id: 'x-path-check' }, [`✗ ${errorText(e)}`]));
  }
  box.replaceChildren(...rows);
}

/** Whether a policy URL names the log at `base` (a malformed policy URL names nothing). */
function sameUrl(url: string | undefined, base: string): boolean {
  if (url === undefined) return false;
  try { return checkLogUrl(url) === base; } catch { return false; }
}

/** Consistency between two tree heads: ones seen in this session, or an older one pasted as size + root hash. */
function renderConsistency(box: HTMLElement, client: LogReader, seen: SeenHead[]): void {
  const oldSize = el('input', { type: 'text', id: 'x-old-size', placeholder: 'size', size: '8' });
  const oldRoot = el('input', { type: 'text', id: 'x-old-root', placeholder: 'root hash (hex or base64)', size: '66' });
  const sel = el('select', { id: 'x-old' }, [el('option', { value: '' }, ['— or pick a tree head seen in this session —']),
    ...seen.map((s, i) => el('option', { value: String(i) }, [`size ${s.size}, root ${toHex(s.rootHash).slice(0, 12)}…`]))]);
  sel.addEventListener('change', () => {
    const s = seen[Number(sel.value)];
    if (sel.value !== '' && s) { oldSize.value = String(s.size); oldRoot.value = toHex(s.rootHash); }
  });
  const go = el('button', { type: 'button', id: 'x-cons-run', class: 'secondary' }, ['Check consistency with the current tree head']);
  const out = el('div', { id: 'x-cons-result' });
  const latest = seen[seen.length - 1]!;
  go.addEventListener('click', () => void (async () => {
    try {
      if (!/^(0|[1-9][0-9]*)$/.test(oldSize.value.trim())) throw new Error('old size: expected a decimal number');
      const o = BigInt(oldSize.value.trim());
      const r = oldRoot.value.trim();
      const rootHash = /^[0-9a-fA-F]{64}$/.test(r) ? fromHex(r, 'old root hash', 32) : fromBase64(r, 'old root hash', 32);
      if (o > latest.size) throw new Error(`old size ${o} is larger than the current size ${latest.size}`);
      const path = await client.consistencyPath(o, latest.size);
      verifyConsistency(o, latest.size, rootHash, latest.rootHash, path);
      out.replaceChildren(el('p', { class: 'ok', id: 'x-cons-verdict' }, [`✓ size ${o} → ${latest.size}: consistent (${path.length} proof hashes)`]));
    } catch (e) {
      out.replaceChildren(el('p', { class: 'bad', id: 'x-cons-verdict' }, [`✗ ${errorText(e)}`]));
    }
  })());
  box.replaceChildren(
    el('h3', {}, ['Consistency between two tree heads']),
    el('p', { class: 'muted' }, [`Current: size ${latest.size}. Give an older tree head (Load again later to record newer ones).`]),
    el('div', { class: 'row' }, [sel]),
    el('div', { class: 'row' }, [oldSize, oldRoot, go]), out,
  );
}
