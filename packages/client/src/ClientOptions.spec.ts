import { asyncScheduler } from 'rxjs';
import WebSocket from 'ws';
import { fakeWebSocketClass } from '../test/core/fakes.js';
import { DEFAULT_CLIENT_OPTIONS, validateOptions, type ClientOptions } from './ClientOptions.js';

const WS = fakeWebSocketClass();
const valid = { url: 'ws://127.0.0.1:8080/path?x=1', WebSocket: WS, platform: null };

describe('validateOptions', () => {
  it('CONN-1: applies the documented defaults', () => {
    const resolved = validateOptions(valid);
    expect(resolved).toMatchObject({
      url: valid.url,
      authUrl: 'http://127.0.0.1:8080/v1/auth',
      WebSocket: WS,
      tokenProvider: null,
      tokenRefreshLeadMs: 180_000,
      logLevel: 'silent',
      scheduler: asyncScheduler,
      reconnect: DEFAULT_CLIENT_OPTIONS.reconnect,
      heartbeat: { intervalMs: null, timeoutMs: 9_000 },
      requestTimeoutMs: 30_000,
      maxQueuedRequests: 1_000,
      random: Math.random,
      platform: null,
    });
    expect(validateOptions({ ...valid, url: 'wss://chat.example.com/ws' }).authUrl).toBe('https://chat.example.com/v1/auth');
  });

  it('CONN-1: accepts the `ws` package as WebSocket (type and value)', () => {
    const options: ClientOptions = { url: 'ws://localhost:1', WebSocket };
    expect(validateOptions(options).WebSocket).toBe(WebSocket);
  });

  it('CONN-1: ignores unknown keys (store options are checked elsewhere)', () => {
    expect(() => validateOptions({ ...valid, counterTtlMs: 5, somethingElse: {} })).not.toThrow();
  });

  const bad: [string, unknown][] = [
    ['not an object', null],
    ['missing url', { WebSocket: WS }],
    ['url not a string', { ...valid, url: 42 }],
    ['url not a URL', { ...valid, url: 'not a url' }],
    ['http url', { ...valid, url: 'http://example.com' }],
    ['WebSocket not a constructor', { ...valid, WebSocket: {} }],
    ['bad logLevel', { ...valid, logLevel: 'verbose' }],
    ['logger missing methods', { ...valid, logger: { info: () => undefined } }],
    ['negative tokenRefreshLeadMs', { ...valid, tokenRefreshLeadMs: -1 }],
    ['NaN requestTimeoutMs', { ...valid, requestTimeoutMs: Number.NaN }],
    ['zero requestTimeoutMs', { ...valid, requestTimeoutMs: 0 }],
    ['negative reconnect.initialDelayMs', { ...valid, reconnect: { initialDelayMs: -5 } }],
    ['maxDelay below initial', { ...valid, reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }],
    ['multiplier below 1', { ...valid, reconnect: { multiplier: 0.5 } }],
    ['jitter above 1', { ...valid, reconnect: { jitter: 2 } }],
    ['negative connectingPeriodMs', { ...valid, reconnect: { connectingPeriodMs: -1 } }],
    ['reconnect not an object', { ...valid, reconnect: 5 }],
    ['heartbeat timeout zero', { ...valid, heartbeat: { timeoutMs: 0 } }],
    ['heartbeat interval ≥ timeout', { ...valid, heartbeat: { intervalMs: 9_000, timeoutMs: 9_000 } }],
    ['maxQueuedRequests fractional', { ...valid, maxQueuedRequests: 1.5 }],
    ['tokenProvider not a function', { ...valid, tokenProvider: 'token' }],
    ['random not a function', { ...valid, random: 0.5 }],
    ['scheduler without schedule', { ...valid, scheduler: { now: () => 0 } }],
    ['platform without watch', { ...valid, platform: {} }],
    ['fetch not a function', { ...valid, fetch: 'fetch' }],
  ];
  for (const [name, options] of bad) {
    it(`CONN-1: throws TypeError for ${name}`, () => {
      expect(() => validateOptions(options)).toThrow(TypeError);
    });
  }

  it('CONN-1: requires options.WebSocket where there is no global WebSocket', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      delete (globalThis as { WebSocket?: unknown }).WebSocket;
      expect(() => validateOptions({ url: 'ws://x' })).toThrow(/no global WebSocket/);
      (globalThis as { WebSocket?: unknown }).WebSocket = WS;
      expect(validateOptions({ url: 'ws://x', platform: null }).WebSocket).toBe(WS);
    } finally {
      if (saved === undefined) delete (globalThis as { WebSocket?: unknown }).WebSocket;
      else (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
