// Process helpers of the install tests: an environment like a user's shell,
// waiting for an HTTP answer, stopping a detached process group.
import type { ChildProcess } from 'node:child_process';

/**
 * The test's environment without what npm and vitest put there (a nested
 * `npm ci` must behave as in a user's shell), plus `extra`. npm reads its
 * cache before the network, as CI has every package cached.
 */
export function freshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$|INIT_CWD$|TEST$)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

/** The last lines of a process's output, for failure messages. */
export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Poll `url` until it answers 200; fails early when `proc` exits, showing its output. */
export async function waitForHttp(url: string, ms: number, proc: ChildProcess, output: () => string): Promise<{ text: string }> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`the process exited (${proc.exitCode}) before ${url} answered:\n${tail(output())}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (r.status === 200) return { text: await r.text() };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer 200 within ${ms} ms:\n${tail(output())}`);
}

/** SIGTERM the process group of a detached process, SIGKILL after 10 s; resolves when it exited. */
export async function stopGroup(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-p.pid!, signal);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
