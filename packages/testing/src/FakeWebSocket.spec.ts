import { settle } from '../test/support/settle.js';
import { FakeServer } from './FakeServer.js';

const open = (fake: FakeServer) => new fake.WebSocket(fake.url, ['rxc.v1', `rxc.auth.${fake.tokenFor('alice')}`]);

describe('FakeWebSocket', () => {
  it('CONN-1: has the WebSocket constants and starts connecting, delivering open asynchronously', async () => {
    const fake = new FakeServer();
    expect([fake.WebSocket.CONNECTING, fake.WebSocket.OPEN, fake.WebSocket.CLOSING, fake.WebSocket.CLOSED]).toEqual([0, 1, 2, 3]);
    const socket = open(fake);
    const seen: string[] = [];
    socket.onopen = () => seen.push('onopen');
    socket.addEventListener('open', () => seen.push('listener'));
    expect([socket.readyState, socket.protocol, seen]).toEqual([0, '', []]);
    await settle();
    expect([socket.readyState, socket.protocol, seen]).toEqual([1, 'rxc.v1', ['onopen', 'listener']]);
  });

  it('CONN-1: send while connecting throws InvalidStateError; reserved close codes throw InvalidAccessError', async () => {
    const fake = new FakeServer();
    const socket = open(fake);
    expect(() => socket.send('{}')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
    await settle();
    expect(() => socket.close(1006)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(() => new fake.WebSocket(fake.url, ['rxc.v1', 'rxc.v1'])).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });

  it('CONN-8: a client close is clean, reaches the server and is idempotent', async () => {
    const fake = new FakeServer();
    const socket = open(fake);
    const closes: unknown[] = [];
    socket.addEventListener('close', (event) => closes.push([event.code, event.reason, event.wasClean]), { once: true });
    await settle();
    socket.close(1000, 'bye');
    socket.close(1000, 'again');
    expect(socket.readyState).toBe(socket.CLOSING);
    await settle();
    expect(socket.readyState).toBe(socket.CLOSED);
    expect(closes).toEqual([[1000, 'bye', true]]);
    expect(fake.connections[0]).toMatchObject({ status: 'closed', closed: { code: 1000, reason: 'bye', by: 'client' } });
    socket.send('ignored after close');
  });

  it('terminate drops the connection like ws does: 1006 on both sides', async () => {
    const fake = new FakeServer();
    const socket = open(fake);
    const seen: string[] = [];
    socket.onclose = (event) => seen.push(`close ${event.code} ${event.wasClean}`);
    await settle();
    socket.terminate();
    await settle();
    expect(seen).toEqual(['close 1006 false']);
    expect(fake.connections[0]).toMatchObject({ status: 'closed', closed: { code: 1006, by: 'client' } });
  });

  it('closing before open fails the connection with error then close 1006', async () => {
    const fake = new FakeServer();
    const socket = open(fake);
    const seen: string[] = [];
    socket.onerror = () => seen.push('error');
    socket.onclose = (event) => seen.push(`close ${event.code}`);
    socket.close();
    await settle();
    expect(seen).toEqual(['error', 'close 1006']);
    expect(fake.connections).toHaveLength(0);
  });

  it('accepts binary frames and removes listeners', async () => {
    const fake = new FakeServer();
    const socket = open(fake);
    const received: string[] = [];
    const listener = (event: MessageEvent) => received.push(String(event.data));
    socket.addEventListener('message', listener);
    await settle();
    socket.send(new TextEncoder().encode('{"type":"hello","v":2}'));
    await settle();
    expect(received.map((m) => JSON.parse(m).type)).toEqual(['welcome']);
    socket.removeEventListener('message', listener);
    socket.send('{"type":"ping"}');
    await settle();
    expect(received).toHaveLength(1);
  });

  it('refuses a socket to another host like a network failure', async () => {
    const fake = new FakeServer();
    const socket = new fake.WebSocket('ws://elsewhere.test', ['rxc.v1', `rxc.auth.${fake.tokenFor('alice')}`]);
    const seen: string[] = [];
    socket.onerror = () => seen.push('error');
    socket.onclose = (event) => seen.push(`close ${event.code}`);
    await settle();
    expect(seen).toEqual(['error', 'close 1006']);
  });
});
