import { jest } from '@jest/globals';
import { ConversationsError } from '../../ConversationsError.js';
import { settle, VirtualClock } from '../../../test/core/fakes.js';
import { createCoreLog } from './CoreLog.js';
import { TokenRefresher } from './TokenRefresher.js';

function setup(provider: () => Promise<string>, apply: (token: string) => Promise<void> = async () => undefined) {
  const clock = new VirtualClock();
  const failures: ConversationsError[] = [];
  const applied: string[] = [];
  const refresher = new TokenRefresher({
    provider,
    apply: async (token) => {
      applied.push(token);
      await apply(token);
    },
    scheduler: clock,
    retryDelay: (n) => 1_000 * n,
    onProviderFailure: (error) => failures.push(error),
    log: createCoreLog('silent', { error() {}, warn() {}, info() {}, debug() {}, trace() {} }),
  });
  return { clock, refresher, failures, applied };
}

describe('TokenRefresher', () => {
  it('CONN-7: concurrent triggers share one provider call', async () => {
    let release: (token: string) => void = () => undefined;
    const provider = jest.fn(() => new Promise<string>((resolve) => { release = resolve; }));
    const { refresher, applied } = setup(provider);
    refresher.trigger('a');
    refresher.trigger('b');
    await settle();
    refresher.trigger('c');
    expect(provider).toHaveBeenCalledTimes(1);
    release('T1');
    await settle();
    expect(applied).toEqual(['T1']);
    refresher.trigger('later');
    await settle();
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('CONN-7: a refused token is retried with growing delays, without a provider-failure report', async () => {
    const provider = jest.fn(async () => 'T');
    const { clock, refresher, failures } = setup(provider, async () => {
      throw new ConversationsError('token_expired');
    });
    refresher.trigger('x');
    await settle();
    expect(provider).toHaveBeenCalledTimes(1);
    refresher.trigger('while a retry is scheduled');
    clock.advance(999);
    await settle();
    expect(provider).toHaveBeenCalledTimes(1);
    clock.advance(1);
    await settle();
    expect(provider).toHaveBeenCalledTimes(2);
    clock.advance(2_000);
    await settle();
    expect(provider).toHaveBeenCalledTimes(3);
    expect(failures).toEqual([]);
    refresher.dispose();
    clock.advance(60_000);
    await settle();
    expect(provider).toHaveBeenCalledTimes(3);
    expect(clock.pending).toBe(0);
  });

  it('CONN-7: reset() cancels a scheduled retry', async () => {
    const provider = jest.fn(async (): Promise<string> => {
      throw new Error('down');
    });
    const { clock, refresher, failures } = setup(provider);
    refresher.trigger('x');
    await settle();
    expect(failures.map((error) => error.code)).toEqual(['token_provider_failed']);
    refresher.reset();
    clock.advance(10_000);
    await settle();
    expect(provider).toHaveBeenCalledTimes(1);
  });
});
