// Ports for test and bench processes that must be chosen before the process
// that listens on them starts (a primary and its secondary name each other in
// their configs, and a restarted node must come back on the same port).
//
// Asking the kernel for port 0 and releasing it is racy: the port comes from
// the ephemeral range (ip_local_port_range, 32768-60999 on Linux), which every
// outgoing connection of every parallel test also draws from, so a client
// socket can take it before our server binds it (a CI run failed exactly so).
// Instead each test worker gets its own block of 1000 ports below the
// ephemeral range, and a port is only handed out after a bind check.
import { createServer } from 'node:net';

const FIRST = 20000;
const BLOCK = 1000;
const BLOCKS = 12; // 20000-31999: below Linux's default ephemeral range

function workerIndex() {
  // Vitest (forks pool) numbers its workers from 1; Playwright from 0; other runs use the pid.
  const vitest = Number(process.env.VITEST_POOL_ID);
  if (Number.isInteger(vitest) && vitest > 0) return vitest - 1;
  const playwright = Number(process.env.TEST_PARALLEL_INDEX);
  if (Number.isInteger(playwright) && playwright >= 0) return BLOCKS / 2 + playwright;
  return process.pid;
}

const base = FIRST + (workerIndex() % BLOCKS) * BLOCK;
// Start at a random place in the block so back-to-back runs do not reuse the same ports.
let next = Math.floor(Math.random() * BLOCK);

function bindable(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on now, from this worker's own
 * block outside the ephemeral range; a process gets each port once until it has used the whole block.
 */
export async function freePort() {
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = base + (next++ % BLOCK);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${base}-${base + BLOCK - 1}`);
}
