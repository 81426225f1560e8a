import type { LogFields, Logger, LogLevel } from '../../Logger.js';
import { LOG_LEVELS } from '../../Logger.js';
import { redactTokens, redactValue } from './redactTokens.js';

type WritableLevel = Exclude<LogLevel, 'silent'>;

/**
 * The client's internal view of logging: a level filter in front of the injected {@link Logger} that
 * redacts tokens and never lets a throwing logger break the connection. `enabled(level)` lets callers
 * skip building expensive summaries (frame lists) when nobody will read them.
 */
export interface CoreLog {
  enabled(level: WritableLevel): boolean;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  trace(message: string, fields?: LogFields): void;
}

/** Builds a {@link CoreLog} writing `level` and quieter lines to `logger`. */
export function createCoreLog(level: LogLevel, logger: Logger): CoreLog {
  const rank = LOG_LEVELS.indexOf(level);
  const enabled = (at: WritableLevel): boolean => LOG_LEVELS.indexOf(at) <= rank;
  const write = (at: WritableLevel) => (message: string, fields?: LogFields): void => {
    if (!enabled(at)) return;
    try {
      if (fields === undefined) logger[at](redactTokens(message));
      else logger[at](redactTokens(message), redactValue(fields) as LogFields);
    } catch {
      // A broken logger must not break the connection.
    }
  };
  return { enabled, error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), trace: write('trace') };
}
