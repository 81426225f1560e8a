import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PushDelivery } from '@rx-conversations/protocol';
import { WebhookPushSender } from './WebhookPushSender.js';

const received: Array<{ headers: IncomingHttpHeaders; body: unknown }> = [];
let status = 204;
const endpoint = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ headers: req.headers, body: JSON.parse(body) });
    res.writeHead(status);
    res.end();
  });
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/push`;
});
afterAll(() => new Promise<void>((resolve) => endpoint.close(() => resolve())));

const delivery: PushDelivery = {
  identity: 'bob',
  type: 'apn',
  token: 'device',
  payload: { rxc: 1, kind: 'newMessage', conversationSid: 'CH1', conversationTitle: 'T', body: 'hi' },
};

describe('WebhookPushSender (SRV-3)', () => {
  it('SRV-3: POSTs the delivery as JSON with the configured headers', async () => {
    status = 204;
    await new WebhookPushSender({ url, headers: { authorization: 'Bearer hook' } }).send(delivery);
    expect(received.at(-1)).toMatchObject({ headers: { authorization: 'Bearer hook', 'content-type': 'application/json' }, body: delivery });
  });

  it('SRV-3: a non-2xx answer rejects (the server logs it and moves on)', async () => {
    status = 500;
    await expect(new WebhookPushSender({ url }).send(delivery)).rejects.toThrow(/500/);
  });

  it('SRV-3: refuses a missing or non-http url', () => {
    expect(() => new WebhookPushSender({ url: 'ftp://x' })).toThrow(TypeError);
  });
});
