import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpError,
  MemoryTree,
  NetworkError,
  ParseError,
  SIG_TYPE_COSIGNATURE,
  SeedSigner,
  VerificationError,
  WitnessClient,
  WitnessConflictError,
  addCheckpointWithRetry,
  concatBytes,
  cosignTreeHead,
  hashLeaf,
  keyHash,
  keyId,
  sha256,
  signTreeHead,
  signedCheckpointNote,
  toBase64,
  uint64be,
  utf8,
  witnessKeyName,
  type SignedTreeHead,
} from '@sigsum-kit/sdk';

// A scripted witness on 127.0.0.1: each test queues the responses it wants and
// inspects the requests that arrived.
type Reply = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;
let server: Server;
let base: string;
const queue: Reply[] = [];
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push(`${req.method} ${req.url}\n${body}`);
      const next = queue.shift();
      if (next === undefined) {
        res.writeHead(500).end('no reply queued');
        return;
      }
      void next(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/w`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  queue.length = 0;
  seen.length = 0;
});

const logSigner = new SeedSigner(sha256(utf8('witness-client log')));
const witness = new SeedSigner(sha256(utf8('witness-client witness')));
const other = new SeedSigner(sha256(utf8('witness-client other witness')));
const tree = MemoryTree.fromLeafHashes(Array.from({ length: 20 }, (_, i) => hashLeaf(utf8(`leaf ${i}`))));
const logHash = keyHash(logSigner.publicKey);

async function sth(size: number): Promise<SignedTreeHead> {
  return signTreeHead(logSigner, { size: BigInt(size), rootHash: tree.root(size) });
}

/** The cosignature line a witness with `key` returns for `head`. */
async function line(key: SeedSigner, head: SignedTreeHead, timestamp = 1_700_000_000n): Promise<string> {
  const cs = await cosignTreeHead(key, head, logHash, timestamp);
  const name = witnessKeyName(keyHash(key.publicKey));
  const id = keyId(name, SIG_TYPE_COSIGNATURE, key.publicKey);
  return `\u2014 ${name} ${toBase64(concatBytes(id, uint64be(timestamp), cs.signature))}\n`;
}

const text = (status: number, body: string, type = 'text/plain'): Reply => (_q, _b, res) => {
  res.writeHead(status, { 'content-type': type }).end(body);
};
const size409 = (n: number | string): Reply => text(409, `${n}\n`, 'text/x.tlog.size');

describe('WitnessClient.addCheckpoint', () => {
  it('posts old size, proof lines, a blank line and the note, and parses the cosignature lines', async () => {
    const head = await sth(8);
    queue.push(async (_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end((await line(witness, head)) + (await line(other, head)));
    });
    const c = new WitnessClient(`${base}/`);
    const proof = tree.consistencyProof(3, 8);
    const lines = await c.addCheckpoint({ oldSize: 3n, proof, signedCheckpoint: signedCheckpointNote(head, logSigner.publicKey) });
    expect(seen[0]).toBe(`POST /w/add-checkpoint\nold 3\n${proof.map((h) => toBase64(h) + '\n').join('')}\n${signedCheckpointNote(head, logSigner.publicKey)}`);
    expect(lines.map((l) => l.keyName)).toEqual([witnessKeyName(keyHash(witness.publicKey)), witnessKeyName(keyHash(other.publicKey))]);
    expect(lines[0]!.timestamp).toBe(1_700_000_000n);
    expect(lines[0]!.signature).toHaveLength(64);
  });

  it('returns only the lines of its witness key when it knows it, skipping other signature types', async () => {
    const head = await sth(8);
    queue.push(async (_q, _b, res) => {
      const foreign = `\u2014 some.other.key ${toBase64(new Uint8Array(4 + 64))}\n`;
      res.writeHead(200).end(foreign + (await line(other, head)) + (await line(witness, head)));
    });
    const lines = await new WitnessClient(base, { publicKey: witness.publicKey }).addCheckpoint({ oldSize: 0n, proof: [], signedCheckpoint: signedCheckpointNote(head, logSigner.publicKey) });
    expect(lines.map((l) => l.keyName)).toEqual([witnessKeyName(keyHash(witness.publicKey))]);
  });

  it('recognizes its key under any key name by the key ID, as sigsum-go does', async () => {
    const head = await sth(8);
    const name = 'witness.example.org';
    const cs = await cosignTreeHead(witness, head, logHash, 5n);
    const custom = `\u2014 ${name} ${toBase64(concatBytes(keyId(name, SIG_TYPE_COSIGNATURE, witness.publicKey), uint64be(5n), cs.signature))}\n`;
    // Same name, but the key ID of another key: not ours.
    const impostor = `\u2014 ${name} ${toBase64(concatBytes(keyId(name, SIG_TYPE_COSIGNATURE, other.publicKey), uint64be(5n), cs.signature))}\n`;
    queue.push((_q, _b, res) => void res.writeHead(200).end(impostor + custom));
    const lines = await new WitnessClient(base, { publicKey: witness.publicKey }).addCheckpoint({ oldSize: 0n, proof: [], signedCheckpoint: signedCheckpointNote(head, logSigner.publicKey) });
    expect(lines.map((l) => [l.keyName, l.timestamp])).toEqual([[name, 5n]]);
  });

  it('turns 409 text/x.tlog.size into WitnessConflictError with the size', async () => {
    queue.push(size409(17));
    const e = await new WitnessClient(base).addCheckpoint({ oldSize: 0n, proof: [], signedCheckpoint: signedCheckpointNote(await sth(8), logSigner.publicKey) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WitnessConflictError);
    expect((e as WitnessConflictError).witnessSize).toBe(17n);
    expect((e as WitnessConflictError).status).toBe(409);
  });

  const errorCases: { name: string; reply: Reply; check: (e: unknown) => void }[] = [
    { name: '409 without the size media type', reply: text(409, '17\n'), check: (e) => expect(e).toMatchObject({ status: 409, serverMessage: '17', code: 'http.409' }) },
    { name: '409 with a malformed size', reply: size409('017'), check: (e) => expect(e).toBeInstanceOf(ParseError) },
    { name: '403 with the witness message', reply: text(403, 'invalid log signature on checkpoint\n'), check: (e) => expect(e).toMatchObject({ status: 403, serverMessage: 'invalid log signature on checkpoint', message: expect.stringContaining('HTTP 403: invalid log signature on checkpoint') }) },
    { name: '422', reply: text(422, 'path does not lead to the old root hash'), check: (e) => expect(e).toMatchObject({ status: 422, serverMessage: 'path does not lead to the old root hash' }) },
    { name: '404 unknown origin', reply: text(404, 'unknown origin'), check: (e) => expect(e).toMatchObject({ status: 404 }) },
    { name: 'a malformed 200 body', reply: text(200, 'not a signature line\n'), check: (e) => expect(e).toMatchObject({ code: 'note.signature-line' }) },
    { name: 'a 200 body without final newline', reply: text(200, '\u2014 a b'), check: (e) => expect(e).toMatchObject({ code: 'ascii.unterminated' }) },
    { name: 'an oversized body', reply: text(200, 'x'.repeat(70_000)), check: (e) => expect(e).toMatchObject({ code: 'http.body-size' }) },
  ];
  for (const c of errorCases) {
    it(`rejects ${c.name}`, async () => {
      queue.push(c.reply);
      const e = await new WitnessClient(base, { retries: 0 }).addCheckpoint({ oldSize: 0n, proof: [], signedCheckpoint: signedCheckpointNote(await sth(8), logSigner.publicKey) }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      c.check(e);
    });
  }

  it('gives up after its timeout', async () => {
    queue.push(() => undefined); // never answers
    const t0 = performance.now();
    const e = await new WitnessClient(base, { timeoutMs: 200 }).addCheckpoint({ oldSize: 0n, proof: [], signedCheckpoint: signedCheckpointNote(await sth(8), logSigner.publicKey) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NetworkError);
    expect((e as NetworkError).code).toBe('http.timeout');
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('refuses a non-http URL', () => {
    expect(() => new WitnessClient('ftp://example.org')).toThrow(TypeError);
  });
});

describe('addCheckpointWithRetry', () => {
  const client = () => new WitnessClient(base, { publicKey: witness.publicKey });
  const proofs: [bigint, bigint][] = [];
  const consistencyProof = (o: bigint, n: bigint) => {
    proofs.push([o, n]);
    return tree.consistencyProof(Number(o), Number(n));
  };
  beforeEach(() => {
    proofs.length = 0;
  });

  it('succeeds at once from the known size', async () => {
    const head = await sth(12);
    queue.push(async (_q, _b, res) => void res.writeHead(200).end(await line(witness, head)));
    const r = await addCheckpointWithRetry(client(), { sth: head, logSigner, logKeyHash: logHash, knownSize: 5n, consistencyProof });
    expect(r).toMatchObject({ witnessSize: 12n, retried: false });
    expect(r.cosignatures).toHaveLength(1);
    expect(r.cosignatures[0]!.keyHash).toEqual(keyHash(witness.publicKey));
    expect(proofs).toEqual([[5n, 12n]]);
    expect(seen[0]).toMatch(/^POST \/w\/add-checkpoint\nold 5\n/);
  });

  it('retries once from the size a 409 reports', async () => {
    const head = await sth(12);
    queue.push(size409(7), async (_q, _b, res) => void res.writeHead(200).end(await line(witness, head)));
    const r = await addCheckpointWithRetry(client(), { sth: head, logPublicKey: logSigner.publicKey, consistencyProof });
    expect(r.retried).toBe(true);
    expect(seen.map((s) => s.split('\n')[1])).toEqual(['old 0', 'old 7']);
    expect(proofs).toEqual([[7n, 12n]]);
  });

  it('does not retry a second time', async () => {
    queue.push(size409(7), size409(9));
    const e = await addCheckpointWithRetry(client(), { sth: await sth(12), logSigner, consistencyProof }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WitnessConflictError);
    expect((e as WitnessConflictError).witnessSize).toBe(9n);
    expect(seen).toHaveLength(2);
  });

  it('stops when the witness is ahead of the tree head', async () => {
    queue.push(size409(15));
    const e = await addCheckpointWithRetry(client(), { sth: await sth(12), logSigner, consistencyProof }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VerificationError);
    expect((e as VerificationError).code).toBe('witness.ahead');
    expect(seen).toHaveLength(1);
  });

  it('rejects a cosignature that does not verify, and a response without one', async () => {
    const head = await sth(12);
    const wrong = await sth(11);
    // Right key ID and name, but signed over another tree head.
    queue.push(async (_q, _b, res) => void res.writeHead(200).end(await line(witness, wrong)));
    const e1 = await addCheckpointWithRetry(client(), { sth: head, logSigner, knownSize: 12n, consistencyProof }).catch((x: unknown) => x);
    expect(e1).toMatchObject({ code: 'witness.bad-cosignature' });
    queue.push(async (_q, _b, res) => void res.writeHead(200).end(await line(other, head)));
    const e2 = await addCheckpointWithRetry(client(), { sth: head, logSigner, knownSize: 12n, consistencyProof }).catch((x: unknown) => x);
    expect(e2).toMatchObject({ code: 'witness.no-cosignature' });
    expect(proofs).toEqual([]);
  });

  it('passes on HTTP errors with status and message', async () => {
    queue.push(text(422, 'bad proof'));
    const e = await addCheckpointWithRetry(client(), { sth: await sth(12), logSigner, knownSize: 4n, consistencyProof }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HttpError);
    expect(e).toMatchObject({ status: 422, serverMessage: 'bad proof' });
  });

  it('needs the witness key and the log key', async () => {
    const head = await sth(12);
    await expect(addCheckpointWithRetry(new WitnessClient(base), { sth: head, logSigner, consistencyProof })).rejects.toThrow(TypeError);
    await expect(addCheckpointWithRetry(client(), { sth: head, consistencyProof })).rejects.toThrow(TypeError);
    await expect(addCheckpointWithRetry(client(), { sth: head, logSigner, logKeyHash: new Uint8Array(32), consistencyProof })).rejects.toThrow(TypeError);
  });
});
