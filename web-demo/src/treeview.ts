/**
 * A picture of an RFC 6962 Merkle tree (SVG) with the inclusion path of one
 * leaf highlighted: the chosen leaf, the nodes on its route to the root, and
 * the sibling hashes that make up its inclusion proof.
 */
import { toHex } from '@sigsum-kit/sdk';

/** One node of the drawn tree: the subtree over leaves [lo, hi). */
export interface TreeNode {
  lo: number;
  hi: number;
  hash: Uint8Array;
  left?: TreeNode;
  right?: TreeNode;
}

/** Largest power of two strictly below n (n ≥ 2): RFC 6962's split point. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Build the tree over the given leaf hashes (at least one) with the SDK's node hash. */
export function buildTree(leafHashes: readonly Uint8Array[], hashNode: (l: Uint8Array, r: Uint8Array) => Uint8Array, lo = 0, hi = leafHashes.length): TreeNode {
  if (hi - lo === 1) return { lo, hi, hash: leafHashes[lo]! };
  const k = split(hi - lo);
  const left = buildTree(leafHashes, hashNode, lo, lo + k);
  const right = buildTree(leafHashes, hashNode, lo + k, hi);
  return { lo, hi, hash: hashNode(left.hash, right.hash), left, right };
}

/** The route from the root to leaf `index` and the siblings, leaf-first (the inclusion proof order). */
export function inclusionPath(root: TreeNode, index: number): { route: TreeNode[]; siblings: TreeNode[] } {
  const route: TreeNode[] = [];
  const siblings: TreeNode[] = [];
  let n: TreeNode | undefined = root;
  while (n) {
    route.push(n);
    if (!n.left || !n.right) break;
    if (index < n.left.hi) { siblings.push(n.right); n = n.left; } else { siblings.push(n.left); n = n.right; }
  }
  return { route, siblings: siblings.reverse() };
}

const SVG = 'http://www.w3.org/2000/svg';
function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function height(n: TreeNode): number {
  return n.left && n.right ? 1 + Math.max(height(n.left), height(n.right)) : 0;
}

/**
 * Draw the tree. Leaves sit at the bottom in index order; each interior node
 * sits above the middle of its children at a height given by its subtree.
 * `chosen` highlights that leaf's route and the inclusion proof's siblings.
 */
export function drawTree(root: TreeNode, chosen: number | undefined, onPick?: (leaf: number) => void): SVGSVGElement {
  const leaves = root.hi - root.lo;
  const h = height(root);
  const dx = 64;
  const dy = 56;
  const w = Math.max(leaves * dx, 200);
  const svgH = h * dy + 60;
  const svg = svgEl('svg', { class: 'tree', width: w + 20, height: svgH, viewBox: `-10 -20 ${w + 20} ${svgH}`, role: 'img', 'aria-label': `Merkle tree of ${leaves} leaves` }) as SVGSVGElement;
  const path = chosen === undefined ? undefined : inclusionPath(root, chosen);
  const route = new Set(path?.route ?? []);
  const sibs = new Set(path?.siblings ?? []);
  const pos = new Map<TreeNode, { x: number; y: number }>();
  const place = (n: TreeNode): { x: number; y: number } => {
    let p: { x: number; y: number };
    if (n.left && n.right) {
      const a = place(n.left);
      const b = place(n.right);
      p = { x: (a.x + b.x) / 2, y: (h - height(n)) * dy };
    } else {
      p = { x: n.lo * dx + dx / 2, y: h * dy };
    }
    pos.set(n, p);
    return p;
  };
  place(root);
  const lines = svgEl('g', {});
  const nodes = svgEl('g', {});
  svg.append(lines, nodes);
  for (const [n, p] of pos) {
    for (const c of [n.left, n.right]) {
      if (!c) continue;
      const q = pos.get(c)!;
      lines.append(svgEl('line', { x1: p.x, y1: p.y + 12, x2: q.x, y2: q.y - 12 }));
    }
    const isLeaf = !n.left;
    const cls = ['node', isLeaf ? 'leaf' : 'inner'];
    if (isLeaf && n.lo === chosen) cls.push('chosen');
    else if (route.has(n)) cls.push('route');
    if (sibs.has(n)) cls.push('path');
    const g = svgEl('g', { 'data-lo': n.lo, 'data-hi': n.hi, ...(isLeaf ? { 'data-leaf': n.lo } : {}) });
    const title = svgEl('title', {}, `${isLeaf ? `leaf ${n.lo}` : `node [${n.lo}, ${n.hi})`}: ${toHex(n.hash)}`);
    g.append(title, svgEl('rect', { class: cls.join(' '), x: p.x - 27, y: p.y - 12, width: 54, height: 24, rx: 5 }));
    g.append(svgEl('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, toHex(n.hash).slice(0, 6)));
    if (isLeaf) {
      g.append(svgEl('text', { x: p.x, y: p.y + 26, 'text-anchor': 'middle' }, `#${n.lo}`));
      if (onPick) {
        g.setAttribute('style', 'cursor:pointer');
        g.addEventListener('click', () => onPick(n.lo));
      }
    }
    nodes.append(g);
  }
  return svg;
}
