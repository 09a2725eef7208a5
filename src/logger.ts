import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'auto' | 'json' | 'pretty';

/** pretty: one human line per event for a terminal; json: one object per line for collectors. */
function destination(format: LogFormat): DestinationStream {
  const usePretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  if (!usePretty) return pino.destination({ fd: 2, sync: false });
  return pretty({
    destination: 2,
    sync: true, // a terminal: lines appear as they happen, and none is lost at exit
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
}

/**
 * Logs to stderr: stdout is reserved for a command's result, so scripts can pipe it.
 * Anything that could carry a secret is redacted by path as a second line of defence.
 * The level can be changed later (`logger.level = …`): SIGHUP does.
 */
export function createLogger(level: string, format: LogFormat = 'auto'): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['pin', '*.pin', 'pepper', '*.pepper', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    destination(format),
  );
}
