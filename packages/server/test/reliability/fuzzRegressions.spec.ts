// Minimal reproductions of what the fuzzer found (SRV-6), kept as plain examples so each stays fixed
// even if the generators change. Each frame must get its precise documented code, never internal_error.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorFrame } from '@rx-conversations/protocol';
import { startServer, type RunningServer } from '../../src/index.js';
import { connectUser } from '../helpers/connectUser.js';
import { KEYS } from '../helpers/testKeys.js';
import type { TestClient } from '../helpers/TestClient.js';

let server: RunningServer;
let attacker: TestClient;
// Request ids on the attacker's connection, strictly increasing across rows and sentinels.
let nextId = 0;

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: KEYS });
  attacker = await connectUser(server, 'attacker');
});
afterAll(async () => {
  await attacker.close();
  await server.close();
});

const deepArray = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

/** Sends `raw` then a sentinel; returns the one answer that came before the sentinel's. */
async function answerTo(raw: string): Promise<ErrorFrame> {
  const before = attacker.frames.length;
  attacker.send(raw);
  const sentinel = ++nextId;
  attacker.send({ type: 'req', id: sentinel, op: 'users.get', args: { identity: 'attacker' } });
  await attacker.waitFor((f) => f.type === 'res' && f.id === sentinel);
  const answers = attacker.frames.slice(before).filter((f) => f.type === 'res' && f.id !== sentinel);
  expect(answers).toHaveLength(1);
  return answers[0] as ErrorFrame;
}

const rows: Array<{ name: string; raw: () => string; id: 'own' | null; code: string }> = [
  { name: 'a request whose op is a 5,000-deep array', raw: () => `{"type":"req","id":${++nextId},"op":${deepArray(5000)},"args":{}}`, id: 'own', code: 'op_unknown' },
  { name: 'a frame whose type is a 5,000-deep array', raw: () => `{"type":${deepArray(5000)}}`, id: null, code: 'frame_type_unknown' },
  { name: 'a request whose op is an object with a non-callable toString', raw: () => `{"type":"req","id":${++nextId},"op":{"toString":"messages.send"},"args":{}}`, id: 'own', code: 'op_unknown' },
  { name: 'a frame whose type is an object with a non-callable toString', raw: () => '{"type":{"toString":"req"}}', id: null, code: 'frame_type_unknown' },
  { name: 'a request whose args are an array', raw: () => `{"type":"req","id":${++nextId},"op":"users.updateMe","args":[]}`, id: 'own', code: 'invalid_argument' },
];

describe('fuzzer findings (SRV-6)', () => {
  it.each(rows)('SRV-6: $name → $code', async ({ raw, id, code }) => {
    const frame = raw();
    const answer = await answerTo(frame);
    const expectedId = id === null ? null : (JSON.parse(frame) as { id: number }).id;
    expect(answer).toMatchObject({ id: expectedId, ok: false, error: { code } });
  });
});
