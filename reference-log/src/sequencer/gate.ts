/**
 * How far the sequencer may publish. A primary with a hot standby publishes
 * only what its secondary has replicated (`replication/gate.ts` builds that
 * gate); without replication every integrated leaf may be published.
 */

/** The largest tree size that may be published, given the size the primary has integrated. */
export type ReplicationGate = (integratedSize: number) => Promise<number> | number;

/** The gate of a log without replication. */
export const noReplication: ReplicationGate = (size) => size;
