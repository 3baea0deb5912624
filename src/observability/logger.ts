/**
 * The process logger: pino JSON on stdout. Object first, message second; request handlers use a
 * child logger with fixed keys (`req`, `pod`, `verb`). Raw request bodies are never logged.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

/** A JSON logger at `level` writing to `destination` (stdout by default; a stream in tests). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { name: 'source-affinity' } };
  return destination ? pino(options, destination) : pino(options);
}

/** What a request's decision logs through (a subset of pino's Logger). */
export type CallLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'isLevelEnabled'>;

/**
 * A child logger made on first use: most calls log nothing, and making a pino child costs more
 * than the rest of a fast call's bookkeeping together. `bindings` is read then.
 */
export function lazyChild(parent: Logger, bindings: () => Record<string, unknown>): CallLogger {
  let child: Logger | undefined;
  const get = () => {
    child ??= parent.child(bindings());
    return child;
  };
  return {
    debug: (...args: Parameters<Logger['debug']>) => get().debug(...args),
    info: (...args: Parameters<Logger['info']>) => get().info(...args),
    warn: (...args: Parameters<Logger['warn']>) => get().warn(...args),
    error: (...args: Parameters<Logger['error']>) => get().error(...args),
    isLevelEnabled: (level) => parent.isLevelEnabled(level),
  };
}
