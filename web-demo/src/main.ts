// The demo's entry: three pages behind hash routes (#verify, #submit, #explore).
// Each page is built once and kept, so switching tabs keeps what was typed.
import { verifyPage } from './verify.js';
import { submitPage } from './submit.js';
import { explorePage } from './explore.js';

const pages: Record<string, () => HTMLElement> = { verify: verifyPage, submit: submitPage, explore: explorePage };
const built = new Map<string, HTMLElement>();

function show(): void {
  const name = location.hash.replace(/^#/, '').split('?')[0] || 'verify';
  const tab = name in pages ? name : 'verify';
  let page = built.get(tab);
  if (!page) { page = pages[tab]!(); built.set(tab, page); }
  document.getElementById('app')!.replaceChildren(page);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav.tabs a')) a.classList.toggle('active', a.dataset.tab === tab);
}

window.addEventListener('hashchange', show);
show();
