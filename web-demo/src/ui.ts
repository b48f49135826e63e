/**
 * Small DOM helpers for the demo: element construction, file/text inputs that
 * accept a drop, a paste or a picked file, and user-facing error messages.
 */
import { SigsumError } from '@sigsum-kit/sdk';

/** Child of {@link el}: a node or text. */
export type Child = Node | string;

/** Create an element with attributes (`class`, `data-*`, …) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, children: Child[] = []): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** Human-readable text of any thrown value; SDK errors keep their code and place. */
export function errorText(e: unknown): string {
  if (e instanceof SigsumError) return `${e.message} [${e.code}]`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A text area that also accepts a dropped or picked file (text or binary). */
export interface FileField {
  /** The wrapper to insert in the page. */
  root: HTMLElement;
  /** The text area (pasted or loaded text). */
  text: HTMLTextAreaElement;
  /** Bytes of the loaded file, or of the text when typed/pasted. */
  bytes(): Uint8Array;
  /** Name of the loaded file, if any. */
  fileName(): string | undefined;
  /** Replace the content programmatically. */
  set(text: string): void;
  /** Load bytes as if the user had picked a file called `name`. */
  setFile(name: string, bytes: Uint8Array): void;
}

/**
 * A labelled input for one of the verify inputs. Binary files are kept as bytes
 * (the text area then shows a summary, not the bytes).
 */
export function fileField(id: string, label: string, placeholder: string, opts: { binary?: boolean; rows?: number } = {}): FileField {
  const text = el('textarea', { id, rows: String(opts.rows ?? 5), placeholder, spellcheck: 'false' });
  const picker = el('input', { type: 'file', id: `${id}-file`, 'aria-label': `${label} file` });
  const info = el('span', { class: 'muted', id: `${id}-info` });
  let loaded: { name: string; bytes: Uint8Array } | undefined;
  const setFile = (name: string, bytes: Uint8Array): void => {
    loaded = { name, bytes };
    info.textContent = `${name} (${bytes.length} bytes)`;
    if (opts.binary) {
      text.value = '';
      text.placeholder = `file ${name} loaded (${bytes.length} bytes)`;
    } else {
      text.value = new TextDecoder().decode(bytes);
    }
    text.dispatchEvent(new Event('input'));
  };
  const load = async (f: File): Promise<void> => setFile(f.name, new Uint8Array(await f.arrayBuffer()));
  picker.addEventListener('change', () => { const f = picker.files?.[0]; if (f) void load(f); });
  text.addEventListener('input', (ev) => {
    // Typing or pasting replaces a loaded file (but not our own synthetic event).
    if (ev.isTrusted) { loaded = undefined; info.textContent = ''; text.placeholder = placeholder; }
  });
  const root = el('div', { class: 'field drop' }, [
    el('label', { for: id }, [label]),
    text,
    el('div', { class: 'row' }, [picker, info]),
  ]);
  root.addEventListener('dragover', (ev) => { ev.preventDefault(); root.classList.add('over'); });
  root.addEventListener('dragleave', () => root.classList.remove('over'));
  root.addEventListener('drop', (ev) => {
    ev.preventDefault();
    root.classList.remove('over');
    const f = ev.dataTransfer?.files[0];
    if (f) void load(f);
  });
  return {
    root,
    text,
    bytes: () => loaded?.bytes ?? new TextEncoder().encode(text.value),
    fileName: () => loaded?.name,
    set: (s: string) => { loaded = undefined; info.textContent = ''; text.value = s; },
    setFile,
  };
}

/** Offer bytes or text as a download. */
export function download(name: string, content: string | Uint8Array, type = 'text/plain'): void {
  const blob = new Blob([content as BlobPart], { type });
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Shorten a long hex string for display, keeping the full value in a tooltip. */
export function shortHex(hex: string, keep = 16): HTMLElement {
  const shown = hex.length > keep * 2 ? `${hex.slice(0, keep)}…${hex.slice(-8)}` : hex;
  return el('code', { title: hex }, [shown]);
}
