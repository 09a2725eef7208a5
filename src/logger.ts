import pino, { type Logger } from 'pino';

/**
 * JSON logs to stderr: stdout is reserved for a command's result, so scripts can pipe it.
 * Anything that could carry a secret is redacted by path as a second line of defence.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: ['pin', '*.pin', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
