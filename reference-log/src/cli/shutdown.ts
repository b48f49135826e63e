/**
 * Graceful shutdown of a long-running `sigsum-log` node: on the first SIGTERM
 * or SIGINT, close the node (which finishes in-flight work and closes the
 * database) and exit 0, or 1 if closing failed. Later signals are ignored so
 * a second Ctrl-C cannot interrupt the close half-way.
 */
interface ClosableNode {
  log: { info(o: object, m: string): void; error(o: object, m: string): void };
  close(): Promise<void>;
}

/** Exit cleanly when the process is asked to stop. */
export function closeOnSignals(node: ClosableNode): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    node.log.info({ signal }, 'shutting down');
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        node.log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
