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
