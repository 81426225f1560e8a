import { redactTokens, redactValue } from './internal/core/redactTokens.js';

/**
 * How much the client logs (CONN-9), from nothing to every frame. Each level includes those before
 * it: `error` < `warn` < `info` < `debug` < `trace`. Default `'silent'`.
 */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Every {@link LogLevel}, quietest first. */
export const LOG_LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug', 'trace'];

/** Structured facts attached to a log line. Tokens are redacted before they reach a logger. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where the client writes its log lines: inject your own (pino, Angular's logger, a test spy) through
 * `options.logger`. Messages and fields arrive already redacted: no token content ever reaches it.
 *
 * @example
 * const logger: Logger = {
 *   error: (message, fields) => console.error(message, fields),
 *   warn: (message, fields) => console.warn(message, fields),
 *   info: (message, fields) => console.info(message, fields),
 *   debug: (message, fields) => console.debug(message, fields),
 *   trace: (message, fields) => console.debug(message, fields),
 * };
 */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  trace(message: string, fields?: LogFields): void;
}

/** The part of `console` the default logger uses. */
export interface ConsoleLike {
  error(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  info(...data: unknown[]): void;
  debug(...data: unknown[]): void;
}

/**
 * The default logger: writes to `console` with an `[rx-conversations]` prefix, and redacts anything
 * that looks like a token once more on its own, so even a message built by mistake from a token
 * prints nothing secret.
 *
 * @example
 * const client = new ConversationsClient(token, { url, logLevel: 'debug', logger: createConsoleLogger() });
 */
export function createConsoleLogger(target: ConsoleLike = globalThis.console): Logger {
  const write = (method: keyof ConsoleLike) => (message: string, fields?: LogFields): void => {
    const line = `[rx-conversations] ${redactTokens(message)}`;
    if (fields === undefined) target[method](line);
    else target[method](line, redactValue(fields));
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), trace: write('debug') };
}
