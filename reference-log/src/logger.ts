/** The structured-logger subset the log's components need (Fastify's pino satisfies it). */
export interface NodeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (components whose caller gave none). */
export const silentLogger: NodeLogger = { info() {}, warn() {}, error() {} };
