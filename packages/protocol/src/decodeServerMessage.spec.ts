import { decodeServerMessage } from './decodeServerMessage.js';

describe('decodeServerMessage', () => {
  it('PERF-2: decodes a single frame and a batch of frames in order', () => {
    expect(decodeServerMessage('{"type":"pong","serverTime":1}')).toEqual([{ type: 'pong', serverTime: 1 }]);
    expect(decodeServerMessage('[{"type":"pong","serverTime":1},{"type":"pong","serverTime":2}]')).toEqual([
      { type: 'pong', serverTime: 1 },
      { type: 'pong', serverTime: 2 },
    ]);
  });

  it.each(['nope', '42', 'null', '[1]', '{"x":1}', '[{"type":"pong"},{}]'])('returns null for %s', (raw) => {
    expect(decodeServerMessage(raw)).toBeNull();
  });
});
