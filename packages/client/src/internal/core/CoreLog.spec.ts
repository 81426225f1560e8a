import { createConsoleLogger } from '../../Logger.js';
import { makeToken, RecordingLogger } from '../../../test/core/fakes.js';
import { createCoreLog } from './CoreLog.js';

describe('createCoreLog', () => {
  it('CONN-9: writes only lines at or below the configured level', () => {
    const logger = new RecordingLogger();
    const log = createCoreLog('info', logger);
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.trace('t');
    expect(logger.lines.map((line) => line.level)).toEqual(['error', 'warn', 'info']);
    expect(log.enabled('debug')).toBe(false);
    const silent = new RecordingLogger();
    createCoreLog('silent', silent).error('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('CONN-9: never hands a token to the logger, and survives a throwing logger', () => {
    const token = makeToken();
    const logger = new RecordingLogger();
    createCoreLog('trace', logger).debug(`sending ${token}`, { token, nested: { header: `Bearer ${token}` } });
    expect(logger.text()).not.toContain(token.split('.')[1]);
    const throwing = { error: () => { throw new Error('x'); }, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };
    expect(() => createCoreLog('error', throwing).error('boom')).not.toThrow();
  });

  it('CONN-9: the default console logger redacts tokens itself', () => {
    const token = makeToken();
    const printed: unknown[][] = [];
    const target = { error: (...data: unknown[]) => printed.push(data), warn: (...data: unknown[]) => printed.push(data), info: (...data: unknown[]) => printed.push(data), debug: (...data: unknown[]) => printed.push(data) };
    const logger = createConsoleLogger(target);
    logger.info(`token ${token}`, { token });
    logger.trace('trace line');
    expect(JSON.stringify(printed)).not.toContain(token.split('.')[1]);
    expect(printed[0]![0]).toMatch(/^\[rx-conversations\] token \[redacted-token\]$/);
    expect(printed[1]).toEqual(['[rx-conversations] trace line']);
  });
});
