/**
 * A client for the ssh-agent protocol (draft-miller-ssh-agent), enough to
 * list identities and to make Ed25519 signatures, so that a Sigsum signing
 * key can live in an agent or in a hardware token behind one.
 */
import { concatBytes, bytesEqual, fromUtf8 } from '../../encoding/bytes.js';
import { SIGNATURE_SIZE, verify, type Signer } from '../../crypto/ed25519.js';
import { ParseError, SigsumError, VerificationError } from '../../errors.js';
import { parseSshPublicKeyBlob, sshPublicKeyBlob } from '../openssh.js';
import { SshWireReader, sshString, sshUint32 } from '../ssh-wire.js';

const SSH_AGENT_FAILURE = 5;
const SSH_AGENTC_REQUEST_IDENTITIES = 11;
const SSH_AGENT_IDENTITIES_ANSWER = 12;
const SSH_AGENTC_SIGN_REQUEST = 13;
const SSH_AGENT_SIGN_RESPONSE = 14;

/** Largest agent reply we accept; real replies are a few KiB. */
const MAX_REPLY = 256 * 1024;
/** Default time allowed for one agent round trip (a hardware token may ask for a touch). */
const DEFAULT_TIMEOUT_MS = 60_000;

const ED25519 = 'ssh-ed25519'; // key type and signature format name

/** Thrown when the agent cannot be reached or refuses a request. */
export class AgentError extends SigsumError {}

/** One key the agent holds. */
export interface AgentIdentity {
  /** The SSH wire-format public key blob. */
  readonly blob: Uint8Array;
  /** The comment the key was added with. */
  readonly comment: string;
  /** The raw Ed25519 public key, when the key is Ed25519; otherwise undefined. */
  readonly ed25519?: Uint8Array;
}

/** Agent reply reading errors: `agent.truncated` / `agent.trailing`, naming the message read. */
function replyReader(b: Uint8Array, what: string): SshWireReader {
  return new SshWireReader(b, {
    short: (r) => new ParseError('agent.truncated', r.kind === 'string' ? `string of ${r.length} bytes exceeds reply` : 'reply truncated', what),
    trailing: (n) => new ParseError('agent.trailing', `${n} trailing bytes`, what),
  });
}

/** The raw Ed25519 key in a blob, or undefined for other key types or malformed blobs. */
function ed25519FromBlob(blob: Uint8Array): Uint8Array | undefined {
  try {
    return parseSshPublicKeyBlob(blob, 'key blob');
  } catch {
    return undefined;
  }
}

/** Options of {@link SshAgentClient}. */
export interface AgentOptions {
  /** Path of the agent's Unix socket; defaults to `$SSH_AUTH_SOCK`. */
  socketPath?: string;
  /** Milliseconds allowed for one request; default 60 000. */
  timeoutMs?: number;
}

/**
 * Talks to an ssh-agent. Each request uses its own connection, so the client
 * holds no open handle between calls and concurrent calls are independent.
 */
export class SshAgentClient {
  /** Path of the agent's Unix socket. */
  readonly socketPath: string;
  /** Time allowed for one agent request in ms. */
  readonly timeoutMs: number;

  constructor(options: AgentOptions = {}) {
    const path = options.socketPath ?? process.env.SSH_AUTH_SOCK;
    if (path === undefined || path === '') {
      throw new AgentError('agent.no-socket', 'SSH_AUTH_SOCK is not set; no ssh-agent to reach');
    }
    this.socketPath = path;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Send one framed request and return the reply's payload (type byte first). */
  async request(payload: Uint8Array): Promise<Uint8Array> {
    // Imported here: loading node:net costs start-up time that commands using no agent should not pay.
    const { createConnection } = await import('node:net');
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.socketPath);
      const chunks: Uint8Array[] = [];
      let got = 0;
      let want = -1;
      let settled = false;
      const finish = (err: Error | undefined, value?: Uint8Array): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(() => finish(new AgentError('agent.timeout', `no reply within ${this.timeoutMs} ms`, this.socketPath)), this.timeoutMs);
      sock.on('error', (e) => finish(new AgentError('agent.connect', e.message, this.socketPath)));
      sock.on('data', (d: Uint8Array) => {
        chunks.push(d);
        got += d.length;
        const all = chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
        chunks.length = 0;
        chunks.push(all);
        if (want < 0 && got >= 4) {
          want = new DataView(all.buffer, all.byteOffset, 4).getUint32(0, false);
          // Check the announced size before buffering more: a broken agent cannot make us allocate much.
          if (want === 0 || want > MAX_REPLY) {
            finish(new ParseError('agent.size', `reply length ${want} outside 1..${MAX_REPLY}`, 'agent reply'));
            return;
          }
        }
        if (want >= 0 && got > 4 + want) finish(new ParseError('agent.trailing', 'agent sent more than one reply', 'agent reply'));
        else if (want >= 0 && got === 4 + want) finish(undefined, new Uint8Array(all.subarray(4))); // a plain copy, never a Buffer view
      });
      sock.on('end', () => finish(new AgentError('agent.closed', 'agent closed the connection before replying', this.socketPath)));
      sock.write(concatBytes(sshUint32(payload.length), payload));
    });
  }

  /** The keys the agent holds (SSH_AGENTC_REQUEST_IDENTITIES). */
  async listIdentities(): Promise<AgentIdentity[]> {
    const reply = await this.request(new Uint8Array([SSH_AGENTC_REQUEST_IDENTITIES]));
    const r = replyReader(reply, 'identities answer');
    const type = r.byte();
    if (type === SSH_AGENT_FAILURE) throw new AgentError('agent.failure', 'agent refused to list identities');
    if (type !== SSH_AGENT_IDENTITIES_ANSWER) throw new ParseError('agent.type', `unexpected reply type ${type}`, 'identities answer');
    const n = r.uint32();
    // Each identity takes at least 8 bytes, so a count beyond that cannot be honest.
    if (n > reply.length / 8) throw new ParseError('agent.count', `identity count ${n} exceeds reply`, 'identities answer');
    const out: AgentIdentity[] = [];
    for (let i = 0; i < n; i++) {
      const blob = r.string().slice();
      const commentBytes = r.string();
      let comment: string;
      try {
        comment = fromUtf8(commentBytes);
      } catch {
        comment = '';
      }
      const ed = ed25519FromBlob(blob);
      out.push(ed === undefined ? { blob, comment } : { blob, comment, ed25519: ed });
    }
    r.end();
    return out;
  }

  /** Ask the agent to sign `data` with the key of `blob` (SSH_AGENTC_SIGN_REQUEST, flags 0). */
  async signRaw(
    blob: Uint8Array,
    data: Uint8Array,
  ): Promise<{
    /** Signature algorithm named by the agent (`ssh-ed25519`). */
    format: string;
    /** The raw signature bytes. */
    signature: Uint8Array;
  }> {
    const req = concatBytes(new Uint8Array([SSH_AGENTC_SIGN_REQUEST]), sshString(blob), sshString(data), sshUint32(0));
    const reply = await this.request(req);
    const r = replyReader(reply, 'sign response');
    const type = r.byte();
    if (type === SSH_AGENT_FAILURE) throw new AgentError('agent.failure', 'agent refused to sign (is the key loaded?)');
    if (type !== SSH_AGENT_SIGN_RESPONSE) throw new ParseError('agent.type', `unexpected reply type ${type}`, 'sign response');
    const sig = replyReader(r.string(), 'signature');
    r.end();
    let format: string;
    try {
      format = fromUtf8(sig.string());
    } catch {
      throw new ParseError('agent.signature', 'signature format is not UTF-8', 'signature');
    }
    const signature = sig.string().slice();
    sig.end();
    return { format, signature };
  }
}

/**
 * A {@link Signer} whose private key is held by an ssh-agent; only the public
 * key is known locally.
 */
export class SshAgentSigner implements Signer {
  readonly publicKey: Uint8Array;
  readonly #agent: SshAgentClient;
  readonly #blob: Uint8Array;

  constructor(publicKey: Uint8Array, agent: SshAgentClient) {
    this.#blob = sshPublicKeyBlob(publicKey);
    this.publicKey = publicKey.slice();
    this.#agent = agent;
  }

  /**
   * A signer for `publicKey`, after checking that the agent holds that key.
   * @throws AgentError `agent.no-key` when it does not.
   */
  static async connect(publicKey: Uint8Array, options: AgentOptions = {}): Promise<SshAgentSigner> {
    const agent = new SshAgentClient(options);
    const ids = await agent.listIdentities();
    if (!ids.some((id) => id.ed25519 !== undefined && bytesEqual(id.ed25519, publicKey))) {
      throw new AgentError('agent.no-key', 'the agent does not hold this key', agent.socketPath);
    }
    return new SshAgentSigner(publicKey, agent);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const { format, signature } = await this.#agent.signRaw(this.#blob, message);
    if (format !== ED25519) throw new ParseError('agent.signature', `signature format ${JSON.stringify(format)}, want ${ED25519}`, 'signature');
    if (signature.length !== SIGNATURE_SIZE) throw new ParseError('agent.signature', `signature is ${signature.length} bytes, want ${SIGNATURE_SIZE}`, 'signature');
    // An agent is outside our control: never hand on a signature that does not verify.
    if (!(await verify(this.publicKey, message, signature))) {
      throw new VerificationError('agent.bad-signature', 'the agent returned an invalid signature', 'signature');
    }
    return signature;
  }
}
