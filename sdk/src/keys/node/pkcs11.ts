/**
 * Ed25519 signing through PKCS#11 3.0 (`CKM_EDDSA` on a `CKK_EC_EDWARDS`
 * key), so that a log's or a witness's key can live in an HSM or smart card.
 * The key is named by an RFC 7512 URI (`keys/pkcs11-uri.ts`).
 *
 * The native binding (`pkcs11js`, an optional dependency) is imported lazily:
 * nothing native is loaded unless a `pkcs11:` key is used.
 *
 * Failure model: any error from the token closes the session and finalizes
 * the module; the next `sign` (at most once per `retryMs`) reopens it and
 * checks that the token still holds the same key. Every signature is verified
 * against the public key before it is returned. The PIN is never put into an
 * error message.
 */
import { randomBytes } from 'node:crypto';
import type * as P11 from 'pkcs11js';
import { bytesEqual } from '../../encoding/bytes.js';
import { toHex } from '../../encoding/hex.js';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, verify, type Signer } from '../../crypto/ed25519.js';
import { SigsumError, VerificationError } from '../../errors.js';
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from '../pkcs11-uri.js';
import { readTextFile } from './files.js';

/** A PKCS#11 failure: module, token, PIN, key or signature (`pkcs11.*` codes). */
export class Pkcs11SignerError extends SigsumError {}

// PKCS#11 3.0 numbers pkcs11js 2 does not name.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
const CKF_OS_LOCKING_OK = 0x2;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;
const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
// EC parameters of Ed25519: the OID 1.3.101.112, or the printable string "edwards25519" (PKCS#11 3.0 allows both).
const ED25519_OID = Uint8Array.of(0x06, 0x03, 0x2b, 0x65, 0x70);
const ED25519_NAME = Uint8Array.of(0x13, 0x0c, ...new TextEncoder().encode('edwards25519'));
const SELF_TEST = new TextEncoder().encode('sigsum-kit pkcs11 self-test');

type Binding = typeof P11;

let binding: Promise<Binding> | undefined;
async function loadBinding(): Promise<Binding> {
  binding ??= import('pkcs11js').then(
    (m) => ((m as { default?: Binding }).default ?? m) as Binding,
    () => {
      binding = undefined;
      throw new Pkcs11SignerError('pkcs11.unavailable', 'the optional npm package pkcs11js is not installed (npm install pkcs11js)');
    },
  );
  return binding;
}

/** One loaded module per path, shared by the signers of a process (PKCS#11 allows one C_Initialize per module). */
interface Module {
  readonly api: P11.PKCS11;
  readonly path: string;
  initialized: boolean;
  /** Bumped at every finalize, so that one failure finalizes once however many signers notice it. */
  generation: number;
}
const modules = new Map<string, Module>();

function ckrName(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0]!.slice(0, 200);
  return String(e).slice(0, 200);
}

function ckrCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

function moduleFor(p: Binding, path: string): Module {
  let m = modules.get(path);
  if (m === undefined) {
    const api = new p.PKCS11();
    try {
      api.load(path);
    } catch (e) {
      throw new Pkcs11SignerError('pkcs11.module', `cannot load the PKCS#11 module: ${ckrName(e)}`, path);
    }
    m = { api, path, initialized: false, generation: 0 };
    modules.set(path, m);
  }
  if (!m.initialized) {
    try {
      m.api.C_Initialize({ flags: CKF_OS_LOCKING_OK });
    } catch (e) {
      if (ckrCode(e) !== CKR_CRYPTOKI_ALREADY_INITIALIZED) throw new Pkcs11SignerError('pkcs11.init', `C_Initialize failed (token storage unreadable or module misconfigured?): ${ckrName(e)}`, path);
    }
    m.initialized = true;
  }
  return m;
}

function finalize(m: Module, generation: number): void {
  if (m.generation !== generation || !m.initialized) return;
  m.generation++;
  m.initialized = false;
  try {
    m.api.C_Finalize();
  } catch {
    // already gone: the next C_Initialize starts afresh either way
  }
}

const trimPad = (s: string): string => s.replace(/[ \0]+$/, '');

function bigSlot(slot: Buffer): bigint {
  return slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0));
}

/** Decode CKA_EC_POINT of an Ed25519 key: DER OCTET STRING of 32 bytes, or the raw 32 bytes. */
export function decodeEdwardsPoint(v: Uint8Array): Uint8Array | undefined {
  // Copies into a plain Uint8Array: a Buffer's slice() is a view into its pool.
  if (v.length === PUBLIC_KEY_SIZE) return Uint8Array.from(v);
  if (v.length === PUBLIC_KEY_SIZE + 2 && v[0] === 0x04 && v[1] === PUBLIC_KEY_SIZE) return Uint8Array.from(v.subarray(2));
  return undefined;
}

function isEd25519Params(v: Uint8Array): boolean {
  return bytesEqual(v, ED25519_OID) || bytesEqual(v, ED25519_NAME);
}

/** Options of {@link Pkcs11Signer.open}. */
export interface Pkcs11Options {
  /** The key the token must hold; opening fails with `pkcs11.key-mismatch` otherwise. */
  expectedPublicKey?: Uint8Array;
  /** Environment for `pin-source=env:NAME` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Least time between two attempts to reopen a failed token, ms (default 1000). */
  retryMs?: number;
}

interface Session {
  module: Module;
  generation: number;
  handle: Buffer;
  key: Buffer;
}

/** What opening found besides the session: the key pair's public half and its attributes. */
interface Opened {
  session: Session;
  publicKey: Uint8Array;
  warnings: string[];
}

async function readPin(uri: Pkcs11Uri, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const src = uri.pinSource;
  if (src === undefined) return undefined;
  if (src.kind === 'env') {
    const v = env[src.name];
    if (v === undefined || v === '') throw new Pkcs11SignerError('pkcs11.pin', `environment variable ${src.name} (pin-source) is not set`);
    return v;
  }
  let text: string;
  try {
    text = await readTextFile(src.path, 4096);
  } catch (e) {
    throw new Pkcs11SignerError('pkcs11.pin', `cannot read the PIN file (pin-source): ${(e as Error).message}`);
  }
  // The first line; a final newline from an editor or `echo` is not part of the PIN.
  const pin = text.split(/\r?\n/)[0]!;
  if (pin === '') throw new Pkcs11SignerError('pkcs11.pin', `the PIN file ${src.path} (pin-source) is empty`);
  return pin;
}

function describeKey(uri: Pkcs11Uri): string {
  const parts: string[] = [];
  if (uri.object !== undefined) parts.push(`object=${JSON.stringify(uri.object)}`);
  if (uri.id !== undefined) parts.push(`id=${toHex(uri.id)}`);
  return parts.join(' ');
}

/** Find the one token the URI names (library, slot and token attributes). */
function selectSlot(m: Module, uri: Pkcs11Uri): Buffer {
  const api = m.api;
  if (uri.libraryManufacturer !== undefined || uri.libraryDescription !== undefined || uri.libraryVersion !== undefined) {
    const info = api.C_GetInfo();
    const ok =
      (uri.libraryManufacturer === undefined || trimPad(info.manufacturerID) === uri.libraryManufacturer) &&
      (uri.libraryDescription === undefined || trimPad(info.libraryDescription) === uri.libraryDescription) &&
      (uri.libraryVersion === undefined ||
        (info.libraryVersion.major === uri.libraryVersion.major && info.libraryVersion.minor === uri.libraryVersion.minor));
    if (!ok) throw new Pkcs11SignerError('pkcs11.token', 'the module does not match the URI\'s library attributes', m.path);
  }
  const matches = api.C_GetSlotList(true).filter((slot) => {
    if (uri.slotId !== undefined && bigSlot(slot) !== uri.slotId) return false;
    if (uri.slotDescription !== undefined || uri.slotManufacturer !== undefined) {
      const si = api.C_GetSlotInfo(slot);
      if (uri.slotDescription !== undefined && trimPad(si.slotDescription) !== uri.slotDescription) return false;
      if (uri.slotManufacturer !== undefined && trimPad(si.manufacturerID) !== uri.slotManufacturer) return false;
    }
    const ti = api.C_GetTokenInfo(slot);
    return (
      (uri.token === undefined || trimPad(ti.label) === uri.token) &&
      (uri.manufacturer === undefined || trimPad(ti.manufacturerID) === uri.manufacturer) &&
      (uri.model === undefined || trimPad(ti.model) === uri.model) &&
      (uri.serial === undefined || trimPad(ti.serialNumber) === uri.serial)
    );
  });
  if (matches.length === 0) {
    throw new Pkcs11SignerError('pkcs11.token', `no token matches${uri.token === undefined ? '' : ` token=${JSON.stringify(uri.token)}`} (is the token present and readable?)`, m.path);
  }
  if (matches.length > 1) throw new Pkcs11SignerError('pkcs11.token', `${matches.length} tokens match; name one with token= or serial=`, m.path);
  return matches[0]!;
}

function findObjects(api: P11.PKCS11, session: Buffer, template: P11.Template, max: number): Buffer[] {
  api.C_FindObjectsInit(session, template);
  try {
    return api.C_FindObjects(session, max);
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

function keyTemplate(p: Binding, uri: Pkcs11Uri, cls: number): P11.Template {
  const t: P11.Template = [{ type: p.CKA_CLASS, value: cls }];
  if (uri.object !== undefined) t.push({ type: p.CKA_LABEL, value: Buffer.from(uri.object, 'utf8') });
  if (uri.id !== undefined) t.push({ type: p.CKA_ID, value: Buffer.from(uri.id) });
  return t;
}

function attrBool(v: Buffer | undefined): boolean | undefined {
  return v === undefined || v.length === 0 ? undefined : v[0] !== 0;
}

/** Open a logged-in session and find the key pair; runs the self-test. */
async function openKey(p: Binding, uri: Pkcs11Uri, opts: Pkcs11Options, rw: boolean): Promise<Opened> {
  const m = moduleFor(p, uri.modulePath);
  const generation = m.generation;
  const api = m.api;
  let handle: Buffer | undefined;
  try {
    const slot = selectSlot(m, uri);
    handle = api.C_OpenSession(slot, p.CKF_SERIAL_SESSION | (rw ? p.CKF_RW_SESSION : 0));
    const pin = await readPin(uri, opts.env ?? process.env);
    if (pin !== undefined) {
      try {
        api.C_Login(handle, p.CKU_USER, pin);
      } catch (e) {
        if (ckrCode(e) !== CKR_USER_ALREADY_LOGGED_IN) throw new Pkcs11SignerError('pkcs11.pin', `login refused: ${ckrName(e)}`, m.path);
      }
    }
    const keys = findObjects(api, handle, keyTemplate(p, uri, p.CKO_PRIVATE_KEY), 2);
    if (keys.length === 0) {
      const hint = pin === undefined ? ' (no pin-source given: private keys are visible only after login)' : '';
      throw new Pkcs11SignerError('pkcs11.no-key', `no private key matches ${describeKey(uri)}${hint}`, m.path);
    }
    if (keys.length > 1) throw new Pkcs11SignerError('pkcs11.key', `more than one private key matches ${describeKey(uri)}; add id=`, m.path);
    const key = keys[0]!;
    const attrs = new Map(
      api
        .C_GetAttributeValue(handle, key, [
          { type: p.CKA_KEY_TYPE },
          { type: p.CKA_ID },
          { type: p.CKA_LABEL },
          { type: p.CKA_EXTRACTABLE },
          { type: p.CKA_SENSITIVE },
          { type: p.CKA_EC_PARAMS },
        ])
        .map((a) => [a.type, a.value as Buffer]),
    );
    const keyType = attrs.get(p.CKA_KEY_TYPE);
    if (keyType === undefined || keyType.length < 1 || keyType.readUIntLE(0, Math.min(keyType.length, 6)) !== CKK_EC_EDWARDS) {
      throw new Pkcs11SignerError('pkcs11.key-type', `the key ${describeKey(uri)} is not an Edwards-curve (CKK_EC_EDWARDS) key`, m.path);
    }
    const params = attrs.get(p.CKA_EC_PARAMS);
    if (params !== undefined && params.length > 0 && !isEd25519Params(params)) {
      throw new Pkcs11SignerError('pkcs11.key-type', `the key ${describeKey(uri)} is not on edwards25519 (Ed448?)`, m.path);
    }
    const warnings: string[] = [];
    if (attrBool(attrs.get(p.CKA_EXTRACTABLE)) !== false) warnings.push(`the private key ${describeKey(uri)} is extractable (CKA_EXTRACTABLE true): it can leave the token`);
    if (attrBool(attrs.get(p.CKA_SENSITIVE)) !== true) warnings.push(`the private key ${describeKey(uri)} is not sensitive (CKA_SENSITIVE false): its value can be read in plain text`);
    // The public half: same CKA_ID (or label when the key has no ID).
    const id = attrs.get(p.CKA_ID);
    const label = attrs.get(p.CKA_LABEL);
    const pubTemplate: P11.Template = [{ type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }];
    if (id !== undefined && id.length > 0) pubTemplate.push({ type: p.CKA_ID, value: id });
    else if (label !== undefined && label.length > 0) pubTemplate.push({ type: p.CKA_LABEL, value: label });
    else throw new Pkcs11SignerError('pkcs11.no-public-key', 'the private key has neither CKA_ID nor CKA_LABEL to find its public key by', m.path);
    const pubs = findObjects(api, handle, pubTemplate, 2);
    if (pubs.length !== 1) {
      throw new Pkcs11SignerError('pkcs11.no-public-key', `${pubs.length === 0 ? 'no' : 'more than one'} public key object pairs with ${describeKey(uri)}`, m.path);
    }
    const point = api.C_GetAttributeValue(handle, pubs[0]!, [{ type: p.CKA_EC_POINT }])[0]?.value as Buffer | undefined;
    const publicKey = point === undefined ? undefined : decodeEdwardsPoint(point);
    if (publicKey === undefined) throw new Pkcs11SignerError('pkcs11.no-public-key', 'the public key object has no 32-byte CKA_EC_POINT', m.path);
    const session: Session = { module: m, generation, handle, key };
    // Proves that the private key and the public object are one pair, and that CKM_EDDSA works.
    const sig = await signRaw(session, SELF_TEST);
    if (!(await verify(publicKey, SELF_TEST, sig))) {
      throw new Pkcs11SignerError('pkcs11.key-pair', `the private key ${describeKey(uri)} and its public key object do not form a pair`, m.path);
    }
    if (opts.expectedPublicKey !== undefined && !bytesEqual(opts.expectedPublicKey, publicKey)) {
      throw new Pkcs11SignerError(
        'pkcs11.key-mismatch',
        `the token's key ${toHex(publicKey)} is not the configured key ${toHex(opts.expectedPublicKey)}`,
        m.path,
      );
    }
    return { session, publicKey, warnings };
  } catch (e) {
    if (handle !== undefined) {
      try {
        api.C_CloseSession(handle);
      } catch {
        // the session is unusable anyway
      }
    }
    // Start from a fresh C_Initialize next time: modules list tokens and objects as of
    // C_Initialize, so a token that comes back is only seen after a re-initialisation.
    finalize(m, generation);
    if (e instanceof SigsumError) throw e;
    throw new Pkcs11SignerError('pkcs11.token', `the token failed: ${ckrName(e)}`, m.path);
  }
}

async function signRaw(s: Session, message: Uint8Array): Promise<Uint8Array> {
  s.module.api.C_SignInit(s.handle, { mechanism: CKM_EDDSA }, s.key);
  const out = await s.module.api.C_SignAsync(s.handle, Buffer.from(message), Buffer.alloc(SIGNATURE_SIZE + 16));
  return new Uint8Array(out);
}

/**
 * A {@link Signer} whose Ed25519 key is in a PKCS#11 token. Open it with
 * {@link Pkcs11Signer.open}. Signing is serialized (one operation per
 * session at a time).
 */
export class Pkcs11Signer implements Signer {
  /** The raw Ed25519 public key (fixed at open; a reopened token must hold the same key). */
  readonly publicKey: Uint8Array;
  /** Problems with the key's attributes found at open (extractable, not sensitive). */
  readonly warnings: readonly string[];
  /** The URI, without anything secret (for messages). */
  readonly uri: string;
  readonly #p: Binding;
  readonly #parsed: Pkcs11Uri;
  readonly #opts: Pkcs11Options;
  #session: Session | undefined;
  #lastError: Pkcs11SignerError | undefined;
  #lastAttempt = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(p: Binding, uri: Pkcs11Uri, opts: Pkcs11Options, opened: Opened) {
    this.#p = p;
    this.#parsed = uri;
    this.#opts = { ...opts, expectedPublicKey: opened.publicKey };
    this.#session = opened.session;
    this.publicKey = Uint8Array.from(opened.publicKey);
    this.warnings = opened.warnings;
    this.uri = formatPkcs11Uri(uri);
  }

  /**
   * Open the key a `pkcs11:` URI names: load the module, find the token, log
   * in with the PIN from `pin-source`, find the key pair, check that it is
   * Ed25519 and (when given) the expected key, and make one test signature.
   * @throws Pkcs11SignerError (`pkcs11.*`), ParseError (`pkcs11-uri.*`).
   */
  static async open(uri: string | Pkcs11Uri, opts: Pkcs11Options = {}): Promise<Pkcs11Signer> {
    const parsed = typeof uri === 'string' ? parsePkcs11Uri(uri) : uri;
    const p = await loadBinding();
    return new Pkcs11Signer(p, parsed, opts, await openKey(p, parsed, opts, false));
  }

  /** True while a session is open; false after a token error until a reopen succeeds. */
  get healthy(): boolean {
    return this.#session !== undefined;
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    const run = this.#queue.then(() => this.#sign(message));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) throw new Pkcs11SignerError('pkcs11.closed', 'the signer is closed');
    const s = this.#session ?? (await this.#reopen());
    let sig: Uint8Array;
    try {
      sig = await signRaw(s, message);
    } catch (e) {
      this.#drop(s);
      throw (this.#lastError = new Pkcs11SignerError('pkcs11.sign', `signing failed: ${ckrName(e)}`, s.module.path));
    }
    // A token is outside our control: never hand on a signature that does not verify.
    if (sig.length !== SIGNATURE_SIZE || !(await verify(this.publicKey, message, sig))) {
      this.#drop(s);
      throw new VerificationError('pkcs11.bad-signature', 'the token returned an invalid signature', s.module.path);
    }
    return sig;
  }

  async #reopen(): Promise<Session> {
    const now = Date.now();
    if (this.#lastError !== undefined && now - this.#lastAttempt < (this.#opts.retryMs ?? 1000)) throw this.#lastError;
    this.#lastAttempt = now;
    try {
      const opened = await openKey(this.#p, this.#parsed, this.#opts, false);
      this.#session = opened.session;
      this.#lastError = undefined;
      return opened.session;
    } catch (e) {
      this.#lastError = e instanceof Pkcs11SignerError ? e : new Pkcs11SignerError('pkcs11.token', ckrName(e));
      throw this.#lastError;
    }
  }

  #drop(s: Session): void {
    if (this.#session === s) this.#session = undefined;
    this.#lastAttempt = Date.now();
    try {
      s.module.api.C_CloseSession(s.handle);
    } catch {
      // the token may be gone
    }
    finalize(s.module, s.generation);
  }

  /** Close the session (the module stays loaded for other signers). */
  async close(): Promise<void> {
    await this.#queue;
    this.#closed = true;
    const s = this.#session;
    this.#session = undefined;
    if (s !== undefined) {
      try {
        s.module.api.C_CloseSession(s.handle);
      } catch {
        // nothing left to release
      }
    }
  }
}

/** Result of {@link generatePkcs11Key}. */
export interface Pkcs11KeyResult {
  /** The opened signer. */
  signer: Pkcs11Signer;
  /** True when the key pair was generated now, false when it existed. */
  created: boolean;
}

/**
 * Generate an Ed25519 key pair inside the token the URI names (private key
 * CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true, CKA_EXTRACTABLE false), or use
 * the key that already matches. The URI must name the key by `object` and/or
 * `id`; a new key gets a random CKA_ID when the URI has none.
 */
export async function generatePkcs11Key(uri: string | Pkcs11Uri, opts: Pkcs11Options = {}): Promise<Pkcs11KeyResult> {
  const parsed = typeof uri === 'string' ? parsePkcs11Uri(uri) : uri;
  try {
    return { signer: await Pkcs11Signer.open(parsed, opts), created: false };
  } catch (e) {
    if (!(e instanceof Pkcs11SignerError) || e.code !== 'pkcs11.no-key') throw e;
  }
  if (parsed.pinSource === undefined) throw new Pkcs11SignerError('pkcs11.pin', 'generating a key needs a login: add pin-source to the URI');
  const p = await loadBinding();
  const m = moduleFor(p, parsed.modulePath);
  const api = m.api;
  const handle = api.C_OpenSession(selectSlot(m, parsed), p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
  const id = Buffer.from(parsed.id ?? randomBytes(16));
  try {
    const pin = (await readPin(parsed, opts.env ?? process.env))!;
    try {
      api.C_Login(handle, p.CKU_USER, pin);
    } catch (e) {
      if (ckrCode(e) !== CKR_USER_ALREADY_LOGGED_IN) throw new Pkcs11SignerError('pkcs11.pin', `login refused: ${ckrName(e)}`, m.path);
    }
    const common: P11.Template = [
      { type: p.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: p.CKA_TOKEN, value: true },
      { type: p.CKA_ID, value: id },
      ...(parsed.object === undefined ? [] : [{ type: p.CKA_LABEL, value: Buffer.from(parsed.object, 'utf8') }]),
    ];
    try {
      api.C_GenerateKeyPair(
        handle,
        { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
        [{ type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }, ...common, { type: p.CKA_VERIFY, value: true }, { type: p.CKA_EC_PARAMS, value: Buffer.from(ED25519_NAME) }],
        [
          { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
          ...common,
          { type: p.CKA_PRIVATE, value: true },
          { type: p.CKA_SENSITIVE, value: true },
          { type: p.CKA_EXTRACTABLE, value: false },
          { type: p.CKA_SIGN, value: true },
        ],
      );
    } catch (e) {
      throw new Pkcs11SignerError('pkcs11.generate', `the token could not generate an Ed25519 key pair: ${ckrName(e)}`, m.path);
    }
  } finally {
    try {
      api.C_CloseSession(handle);
    } catch {
      // nothing to release
    }
  }
  // Open by the new key's ID too, so that a label shared with another key cannot select the wrong one.
  return { signer: await Pkcs11Signer.open({ ...parsed, id: new Uint8Array(id) }, opts), created: true };
}
