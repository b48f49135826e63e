/**
 * The log's error model: every failure the log raises on purpose is a
 * `SigsumError` (the SDK's base class) whose `code` comes from a closed union
 * per kind, so callers and tests switch on codes, never on message text.
 * Refusals of HTTP requests are `ApiError`s (server/http.ts), which carry a
 * status instead.
 */
import { SigsumError } from '@sigsum-kit/sdk';

/** Why stored state must not be served at start-up. */
export type StartupErrorCode =
  | 'startup.rollback'
  | 'startup.no-head'
  | 'startup.no-mode'
  | 'startup.inconsistent'
  | 'startup.damaged'
  | 'startup.guard-ahead'
  | 'startup.guard-missing'
  | 'startup.guard-inconsistent';

/** The stored state must not be served (a rollback, a missing or inconsistent head). */
export class StartupError extends SigsumError<StartupErrorCode> {}

/** What is wrong with the storage. */
export type StorageErrorCode =
  | 'storage.closed'
  | 'storage.corrupt'
  | 'storage.key-mismatch'
  | 'storage.missing-node'
  | 'storage.missing-leaf'
  | 'storage.leaf-hash'
  | 'storage.not-a-log'
  | 'storage.schema'
  | 'guard.corrupt';

/** The storage (or the published-tree-head file) is closed, damaged, or belongs to another log; the public API answers 503. */
export class StorageError extends SigsumError<StorageErrorCode> {}

/** Why the secondary's tree head was not accepted. */
export type ReplicationCheckErrorCode = 'replication.signature' | 'replication.ahead' | 'replication.root-mismatch';

/** The secondary's tree head is unsigned by its key, ahead of the primary, or has another root. */
export class ReplicationCheckError extends SigsumError<ReplicationCheckErrorCode> {}

/** Why a promotion, or a start-up against a published head, is refused. */
export type FailoverErrorCode =
  | 'promote.signature'
  | 'promote.behind'
  | 'promote.inconsistent'
  | 'startup.signature'
  | 'startup.behind'
  | 'startup.superseded'
  | 'startup.inconsistent';

/** The local tree does not contain a tree head that was published. */
export class FailoverError extends SigsumError<FailoverErrorCode> {}

/** The primary served a tree that contradicts what the secondary stored. */
export class ForkError extends SigsumError<'replication.fork'> {
  constructor(message: string) {
    super('replication.fork', message);
  }
}

/** A configuration file or option is invalid; the message names the key. */
export class ConfigError extends SigsumError<'config'> {
  constructor(message: string) {
    super('config', message);
  }
}

/** Why a DNS TXT lookup failed. */
export type DnsErrorCode = 'dns.config' | 'dns.nxdomain' | 'dns.network' | 'dns.timeout' | 'dns.servfail' | 'dns.refused' | 'dns.rcode';

/** A DNS lookup failed (the name, when there is one, is `where`). */
export class DnsError extends SigsumError<DnsErrorCode> {}

/** Why a static tiles export must not proceed. */
export type ExportErrorCode = 'export.other-log' | 'export.rollback' | 'export.fork';

/** The export directory holds another log's checkpoint, a larger one (rollback), or one this tree does not extend (fork). */
export class ExportError extends SigsumError<ExportErrorCode> {}
