/**
 * The log's structured logger. A process creates one pino logger first
 * ({@link createLogger}) and passes it to Fastify (`loggerInstance`) and to
 * every component, so every line, from start-up checks on, is JSON on stdout.
 */
import { pino, type DestinationStream } from 'pino';
import { LogController, type FastifyBaseLogger } from 'fastify';

/**
 * What a component needs from a logger (pino satisfies it; tests may pass
 * any object with these methods). Never log secrets through it.
 */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** pino levels accepted in configuration files. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The process's logger: pino JSON lines at `level` to `destination`
 * (default stdout). The result is Fastify's logger type, so the same
 * instance is handed to Fastify as `loggerInstance`.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): FastifyBaseLogger {
  return destination === undefined ? pino({ level }) : pino({ level }, destination);
}

/** A logger that drops everything (components and apps whose caller gave none). */
export const silentLogger: FastifyBaseLogger = pino({ level: 'silent' });

/**
 * The logging options of every Fastify instance of the log and the witness:
 * the process's logger, no per-request lines, and requests logging through
 * that same logger. Fastify's default makes a child logger per request (to
 * bind its id), which costs more than answering get-tree-head and is only
 * useful with per-request lines; the few lines a request can cause (internal
 * and storage errors) name its URL instead.
 */
export function serverLogging(logger: FastifyBaseLogger = silentLogger): {
  loggerInstance: FastifyBaseLogger;
  logController: LogController;
  childLoggerFactory: (logger: FastifyBaseLogger) => FastifyBaseLogger;
} {
  return { loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: (parent) => parent };
}
