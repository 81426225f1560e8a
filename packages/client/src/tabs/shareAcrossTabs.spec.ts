// Bad input to tab sharing (OFFLINE-3) fails at once with a TypeError naming it, before any tab opens a
// socket or takes a lock.
import { describe, expect, it } from '@jest/globals';
import { FakeCore } from '../../test/FakeCore.js';
import { ConversationsClient } from '../ConversationsClient.js';
import { shareAcrossTabs } from './shareAcrossTabs.js';

/** A decodable JWT for alice (unsigned: nothing here verifies it). */
/** Valid client options (no socket is ever made from them here). */
const options = { url: 'ws://chat.test', WebSocket: class {} as never };
const token = ['{"alg":"HS256"}', '{"grants":{"identity":"alice"}}', 'sig'].map((part) => Buffer.from(part).toString('base64url')).join('.');

describe('shareAcrossTabs: bad input (OFFLINE-3)', () => {
  it('OFFLINE-3: options that are not what the browser gives are refused with a TypeError naming them', () => {
    expect(() => shareAcrossTabs({ replayBatches: -1 })).toThrow(/replayBatches/);
    expect(() => shareAcrossTabs({ replayBatches: 1.5 })).toThrow(TypeError);
    expect(() => shareAcrossTabs({ locks: {} as never })).toThrow(/locks must have a request function/);
    expect(() => shareAcrossTabs({ BroadcastChannel: 'tabs' as never })).toThrow(/BroadcastChannel must be a constructor/);
  });

  it('OFFLINE-3: the client refuses a tabs option not made by shareAcrossTabs, and invalid client options even in a tab that would open no socket', () => {
    expect(() => new ConversationsClient(token, { ...options, tabs: {} as never })).toThrow(/options.tabs is not from shareAcrossTabs/);
    let opened = 0;
    const sharing = shareAcrossTabs({ locks: { request: () => new Promise(() => undefined) } });
    expect(() => sharing.connect(token, { url: 42 } as never, () => (opened++, new FakeCore()))).toThrow(TypeError);
    expect(opened).toBe(0);
  });

  it('OFFLINE-3: where there are no Web Locks, or the token names nobody, the client opens its own socket', () => {
    let opened = 0;
    const open = (): FakeCore => (opened++, new FakeCore());
    // Node 20 has BroadcastChannel but no navigator.locks.
    expect(shareAcrossTabs().connect(token, options, open)).toBeInstanceOf(FakeCore);
    const locks = { request: () => new Promise(() => undefined) };
    expect(shareAcrossTabs({ locks }).connect('not a jwt', options, open)).toBeInstanceOf(FakeCore);
    expect(opened).toBe(2);
  });
});
