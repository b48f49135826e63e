// Real reference logs for the browser tests: SQLite in a temp dir, real HTTP on
// a free 127.0.0.1 port, CORS configurable (the browser page is another origin).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogClient, SeedSigner, sha256, signLeaf, toHex, utf8 } from '@sigsum-kit/sdk';
import { openSqliteStorage, startLog, type RunningLog } from '@sigsum-kit/reference-log';

/** A log started for one test. */
export interface TestLog {
  url: string;
  logKey: SeedSigner;
  /** A policy naming only this log (`quorum none`). */
  policy: string;
  running: RunningLog;
  close(): Promise<void>;
}

/** Start a log; `cors` false leaves CORS off so that browsers are refused. */
export async function startTestLog(opts: { cors: boolean }): Promise<TestLog> {
  const dir = mkdtempSync(join(tmpdir(), 'web-demo-log-'));
  const logKey = SeedSigner.generate();
  const running = await startLog({
    storage: openSqliteStorage(join(dir, 'log.sqlite')),
    signer: logKey,
    corsOrigins: opts.cors ? ['*'] : [],
    intervalMs: 100,
    internalPort: null,
  });
  return {
    url: running.url,
    logKey,
    policy: `log ${toHex(logKey.publicKey)} ${running.url}\nquorum none\n`,
    running,
    close: async () => { await running.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Submit `n` leaves (messages "<tag> i") and wait until a published tree head covers them; returns that size. */
export async function addLeaves(log: TestLog, n: number, tag = 'leaf', submitter = SeedSigner.generate()): Promise<bigint> {
  const client = new LogClient({ url: log.url });
  const before = (await client.getTreeHead()).size;
  for (let i = 0; i < n; i++) {
    const message = sha256(utf8(`${tag} ${i}`));
    await client.addLeaf({ message, signature: await signLeaf(submitter, message), publicKey: submitter.publicKey });
  }
  for (let tries = 0; tries < 100; tries++) {
    const th = await client.getTreeHead();
    if (th.size >= before + BigInt(n)) return th.size;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`log did not publish ${n} new leaves in time`);
}
