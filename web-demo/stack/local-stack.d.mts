import type { ChildProcess } from 'node:child_process';

/** Path of the `sigsum-log` CLI. */
export declare const logCli: string;
/** Path of the `sigsum` CLI. */
export declare const sigsumCli: string;
/** A free TCP port on 127.0.0.1. */
export declare function freePort(): Promise<number>;

/** A running local stack. */
export interface LocalStack {
  logUrl: string;
  logKeyHex: string;
  /** Internal URL of the hot-standby secondary (undefined when started without). */
  secondaryUrl: string | undefined;
  /** The policy users verify with: the log, the witnesses and their quorum. */
  policy: string;
  policyFile: string;
  witnesses: Array<{ name: string; keyHex: string; url: string }>;
  processes: ChildProcess[];
  /** SIGTERM every process of the stack and wait for them. */
  stop(): Promise<void>;
}

/** Start a primary log, its secondary and witnesses as real processes with their data in `dir`. */
export declare function startLocalStack(options: {
  dir: string;
  witnesses?: number;
  /** Start the log's hot-standby secondary (default true). */
  secondary?: boolean;
  ports?: { log?: number; logInternal?: number; secondary?: number; witnesses?: number[] };
  intervalMs?: number;
  onLine?: (line: string) => void;
}): Promise<LocalStack>;
