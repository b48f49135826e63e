/** A TCP port on 127.0.0.1 that nothing listens on now, from this worker's own block outside the ephemeral range. */
export function freePort(): Promise<number>;
