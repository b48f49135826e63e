/**
 * RFC 7512 `pkcs11:` URIs naming a signing key in a token: which module to
 * load (`module-path`), which token (`token`, `serial`, ...), which key
 * (`object` = CKA_LABEL, `id` = CKA_ID) and where the PIN comes from
 * (`pin-source`). Pure: no module is loaded and no PIN is read here.
 *
 * Stricter than the RFC on purpose: unknown and vendor (`x-`) attributes,
 * repeated attributes and `pin-value` are rejected, because a key URI travels
 * through command lines and configuration files that are not secret.
 */
import { ParseError } from '../errors.js';

/** Where the PIN of a token comes from: a file (first line) or an environment variable. */
export type Pkcs11PinSource =
  | {
      /** The PIN is the content of a file (`pin-source=file:...`). */
      kind: 'file';
      /** The file's path. */
      path: string;
    }
  | {
      /** The PIN is in an environment variable. */
      kind: 'env';
      /** The variable's name. */
      name: string;
    };

/** A parsed `pkcs11:` URI. Absent attributes match anything. */
export interface Pkcs11Uri {
  /** Absolute path of the PKCS#11 module (shared library) to load. */
  modulePath: string;
  /** Token label (CKA token info `label`, trailing blanks removed). */
  token?: string;
  /** Token manufacturer ID. */
  manufacturer?: string;
  /** Token serial number. */
  serial?: string;
  /** Token model. */
  model?: string;
  /** Slot ID (decimal). */
  slotId?: bigint;
  /** Slot description. */
  slotDescription?: string;
  /** Slot manufacturer ID. */
  slotManufacturer?: string;
  /** Library (module) manufacturer ID. */
  libraryManufacturer?: string;
  /** Library description. */
  libraryDescription?: string;
  /** Library version `major[.minor]`. */
  libraryVersion?: {
    /** Major version. */
    major: number;
    /** Minor version. */
    minor: number;
  };
  /** Key label (CKA_LABEL), UTF-8. */
  object?: string;
  /** Key ID (CKA_ID), raw bytes. */
  id?: Uint8Array;
  /** Object type; a signing key is named by `private` (or `public`, meaning its pair). */
  type?: 'private' | 'public';
  /** Where the user PIN comes from; absent = no login. */
  pinSource?: Pkcs11PinSource;
}

/** True when `s` is meant as a `pkcs11:` URI rather than a file name. */
export function isPkcs11Uri(s: string): boolean {
  return /^pkcs11:/i.test(s);
}

const PATH_ATTRS = new Set([
  'token',
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'slot-description',
  'slot-manufacturer',
  'slot-id',
  'object',
  'id',
  'type',
]);
const QUERY_ATTRS = new Set(['module-path', 'module-name', 'pin-source', 'pin-value']);

// RFC 7512 section 2.3: characters allowed unencoded in path and query values.
const PATH_CHAR = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const QUERY_CHAR = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]|%[0-9A-Fa-f]{2})*$/;

function decodeBytes(v: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '%') {
      out.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(v.charCodeAt(i));
  }
  return Uint8Array.from(out);
}

function decodeText(v: string, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(decodeBytes(v));
  } catch {
    throw new ParseError('pkcs11-uri.utf8', `attribute ${name} is not valid UTF-8 after percent-decoding`, 'pkcs11 URI');
  }
}

function fail(code: string, message: string): never {
  throw new ParseError(`pkcs11-uri.${code}`, message, 'pkcs11 URI');
}

function parsePinSource(v: string): Pkcs11PinSource {
  const env = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(v);
  if (env !== null) return { kind: 'env', name: env[1]! };
  // file:/abs/path or file:///abs/path (RFC 8089); a host part other than empty is not a local file.
  const file = /^file:(?:\/\/)?(\/.*)$/.exec(v);
  if (file !== null && !file[1]!.startsWith('//')) {
    if (file[1]!.includes('\0')) fail('pin-source', 'pin-source file path contains NUL');
    return { kind: 'file', path: file[1]! };
  }
  fail('pin-source', 'pin-source must be file:/absolute/path or env:VARIABLE_NAME');
}

/**
 * Parse an RFC 7512 `pkcs11:` URI naming an Ed25519 signing key.
 * `module-path` is required (an absolute path); at least one of `object` and
 * `id` must name the key.
 * @throws ParseError with a `pkcs11-uri.*` code; the message never repeats a `pin-value`.
 */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!isPkcs11Uri(uri)) fail('scheme', 'expected a URI starting with "pkcs11:"');
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  const queryPart = q < 0 ? undefined : rest.slice(q + 1);
  if (/[#\s]/.test(rest)) fail('syntax', 'URI contains white space or a fragment');
  const attrs = new Map<string, string>();
  const take = (part: string, sep: string, allowed: Set<string>, chars: RegExp, where: string): void => {
    if (part === '') return;
    for (const item of part.split(sep)) {
      const eq = item.indexOf('=');
      if (eq <= 0) fail('syntax', `${where} attribute ${JSON.stringify(item.slice(0, 40))} is not name=value`);
      const name = item.slice(0, eq).toLowerCase();
      const value = item.slice(eq + 1);
      // Never echo a PIN value back, even in an error about it.
      if (name === 'pin-value') fail('pin-value', 'pin-value is not accepted: a PIN must not be written in a key URI; use pin-source=file:/path or pin-source=env:NAME');
      if (!allowed.has(name)) {
        const other = allowed === PATH_ATTRS ? QUERY_ATTRS : PATH_ATTRS;
        fail('attribute', other.has(name) ? `attribute ${name} belongs in the URI's ${where === 'path' ? 'query' : 'path'}` : `unknown ${where} attribute ${JSON.stringify(name)}`);
      }
      if (attrs.has(name)) fail('duplicate', `attribute ${name} appears more than once`);
      if (!chars.test(value)) fail('syntax', `attribute ${name} has characters that must be percent-encoded`);
      attrs.set(name, value);
    }
  };
  take(pathPart, ';', PATH_ATTRS, PATH_CHAR, 'path');
  if (queryPart !== undefined) take(queryPart, '&', QUERY_ATTRS, QUERY_CHAR, 'query');

  if (attrs.has('module-name')) fail('module-name', 'module-name is not supported; give module-path=/absolute/path/to/module.so');
  const modulePathRaw = attrs.get('module-path');
  if (modulePathRaw === undefined) fail('module-path', 'module-path is required (e.g. ?module-path=/usr/lib/softhsm/libsofthsm2.so)');
  const modulePath = decodeText(modulePathRaw, 'module-path');
  if (!modulePath.startsWith('/') || modulePath.includes('\0')) fail('module-path', 'module-path must be an absolute path');
  const out: Pkcs11Uri = { modulePath };

  const text: [string, keyof Pkcs11Uri][] = [
    ['token', 'token'],
    ['manufacturer', 'manufacturer'],
    ['serial', 'serial'],
    ['model', 'model'],
    ['slot-description', 'slotDescription'],
    ['slot-manufacturer', 'slotManufacturer'],
    ['library-manufacturer', 'libraryManufacturer'],
    ['library-description', 'libraryDescription'],
    ['object', 'object'],
  ];
  for (const [name, key] of text) {
    const v = attrs.get(name);
    if (v !== undefined) (out as unknown as Record<string, string>)[key] = decodeText(v, name);
  }
  const slotId = attrs.get('slot-id');
  if (slotId !== undefined) {
    if (!/^[0-9]{1,20}$/.test(slotId)) fail('slot-id', 'slot-id must be a decimal number');
    out.slotId = BigInt(slotId);
  }
  const ver = attrs.get('library-version');
  if (ver !== undefined) {
    const m = /^([0-9]{1,3})(?:\.([0-9]{1,3}))?$/.exec(ver);
    if (m === null || Number(m[1]) > 255 || Number(m[2] ?? 0) > 255) fail('library-version', 'library-version must be M or M.N with numbers 0..255');
    out.libraryVersion = { major: Number(m[1]), minor: Number(m[2] ?? 0) };
  }
  const id = attrs.get('id');
  if (id !== undefined) {
    if (id === '') fail('id', 'id must not be empty');
    out.id = decodeBytes(id);
  }
  const type = attrs.get('type');
  if (type !== undefined) {
    if (type !== 'private' && type !== 'public') fail('type', `type must be private or public for a signing key, got ${JSON.stringify(type)}`);
    out.type = type;
  }
  if (out.object === undefined && out.id === undefined) fail('key', 'name the key with object=LABEL and/or id=%XX..');
  const pin = attrs.get('pin-source');
  if (pin !== undefined) out.pinSource = parsePinSource(decodeText(pin, 'pin-source'));
  return out;
}

function enc(s: string | Uint8Array, query: boolean): string {
  const bytes = typeof s === 'string' ? new TextEncoder().encode(s) : s;
  const keep = query ? /[A-Za-z0-9\-._~:@!$'()*+,/]/ : /[A-Za-z0-9\-._~:@!$'()*+,]/;
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && keep.test(c) ? c : `%${b.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

/** Format a {@link Pkcs11Uri} (inverse of {@link parsePkcs11Uri} for the attributes it produces). */
export function formatPkcs11Uri(u: Pkcs11Uri): string {
  const path: string[] = [];
  const add = (name: string, v: string | Uint8Array | undefined): void => {
    if (v !== undefined) path.push(`${name}=${enc(v, false)}`);
  };
  add('token', u.token);
  add('manufacturer', u.manufacturer);
  add('serial', u.serial);
  add('model', u.model);
  add('library-manufacturer', u.libraryManufacturer);
  add('library-description', u.libraryDescription);
  if (u.libraryVersion !== undefined) path.push(`library-version=${u.libraryVersion.major}.${u.libraryVersion.minor}`);
  add('slot-description', u.slotDescription);
  add('slot-manufacturer', u.slotManufacturer);
  if (u.slotId !== undefined) path.push(`slot-id=${u.slotId}`);
  add('object', u.object);
  add('id', u.id);
  if (u.type !== undefined) path.push(`type=${u.type}`);
  const query = [`module-path=${enc(u.modulePath, true)}`];
  if (u.pinSource !== undefined) {
    query.push(`pin-source=${u.pinSource.kind === 'env' ? `env:${u.pinSource.name}` : `file:${enc(u.pinSource.path, true)}`}`);
  }
  return `pkcs11:${path.join(';')}?${query.join('&')}`;
}
