import { describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import { key } from '../helpers/connectUser.js';
import { tempDatabase } from '../helpers/tempDatabase.js';
import { ACCOUNT_SID, CHILD_AUTH_TOKEN, SERVICE_SID, twilioClientFor } from '../helpers/twilioRest.js';
import { useServers } from '../helpers/useServers.js';
import { webhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../helpers/webhookReceiver.js';
import { spawnServer } from '../reliability/restart/serverProcess.js';
import type { RunningServer, StartServerOptions } from '../../src/index.js';

const AUTH_TOKEN = 'auth-token-of-the-test-account-0001';

/** What the app's handler does with `twilio.webhook()`: accept only requests signed with its auth token. */
const signedBy = (authToken: string, hook: ReceivedWebhook): boolean =>
  hook.signature !== undefined && twilio.validateRequest(authToken, hook.signature, hook.url, hook.method === 'POST' ? hook.params : {});

describe('post-event webhooks (ADMIN-2, ADMIN-3)', () => {
  const { cleanups, start, connect } = useServers();

  async function receiver(): Promise<WebhookReceiver> {
    const r = await webhookReceiver();
    cleanups.push(() => r.close());
    return r;
  }

  async function serverWithServiceHook(filters: string[], options: Partial<StartServerOptions> = {}, method: 'GET' | 'POST' = 'POST') {
    const hooks = await receiver();
    const server = await start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: AUTH_TOKEN, ...options });
    const backend = twilioClientFor(server).conversations.v1;
    const config = await backend.services(SERVICE_SID).configuration.webhooks().update({ postWebhookUrl: hooks.url, filters, method });
    expect(config).toMatchObject({ postWebhookUrl: hooks.url, filters, method, chatServiceSid: SERVICE_SID });
    return { hooks, server, backend };
  }

  async function conversationWith(server: RunningServer, identities: string[]) {
    const owner = await connect(server, identities[0]!);
    const { sid } = await owner.request('conversations.create', { friendlyName: 'hooked' });
    for (const identity of identities.slice(1)) await owner.request('participants.add', { sid, identity });
    return { owner, sid };
  }

  it('ADMIN-3: an SDK send reaches the service post-event webhook, signed so that twilio.validateRequest accepts it, with Twilio field names', async () => {
    const { hooks, server } = await serverWithServiceHook(['onMessageAdded']);
    const { owner, sid } = await conversationWith(server, ['alice', 'bob']);
    const sent = await owner.request('messages.send', { sid, body: 'hello & welcome ✓', attributes: { a: 1 }, idempotencyKey: key() });

    const [hook] = await hooks.next(1);
    expect(hook!.method).toBe('POST');
    expect(hook!.params).toMatchObject({
      EventType: 'onMessageAdded',
      Source: 'SDK',
      ClientIdentity: 'alice',
      AccountSid: ACCOUNT_SID,
      ChatServiceSid: SERVICE_SID,
      ConversationSid: sid,
      MessageSid: sent.sid,
      Index: '0',
      Author: 'alice',
      Body: 'hello & welcome ✓',
      Attributes: '{"a":1}',
    });
    expect(hook!.params['ParticipantSid']).toMatch(/^MB/);
    expect(signedBy(AUTH_TOKEN, hook!)).toBe(true);
    expect(signedBy('another-auth-token-0000000000000', hook!)).toBe(false);
    expect(signedBy(AUTH_TOKEN, { ...hook!, params: { ...hook!.params, Body: 'tampered' } })).toBe(false);
    // Only the filtered event: creating the conversation and adding bob fired nothing.
    expect(hooks.received.map((h) => h.params['EventType'])).toEqual(['onMessageAdded']);
  });

  it('ADMIN-3: a GET webhook carries the fields in its query string, and the signature covers the URL', async () => {
    const { hooks, server } = await serverWithServiceHook(['onConversationUpdated'], {}, 'GET');
    const { owner, sid } = await conversationWith(server, ['alice']);
    await owner.request('conversations.update', { sid, friendlyName: 'renamed', idempotencyKey: key() });
    const [hook] = await hooks.next(1);
    expect(hook!.method).toBe('GET');
    expect(hook!.params).toMatchObject({ EventType: 'onConversationUpdated', FriendlyName: 'renamed', ConversationSid: sid });
    expect(signedBy(AUTH_TOKEN, hook!)).toBe(true);
  });

  it('ADMIN-2: REST actions fire post-event webhooks only with X-Twilio-Webhook-Enabled: true (Source API)', async () => {
    const { hooks, backend } = await serverWithServiceHook(['onMessageAdded', 'onParticipantAdded']);
    const conversation = await backend.conversations.create({ friendlyName: 'quiet' });
    await backend.conversations(conversation.sid).participants.create({ identity: 'carol' });
    await backend.conversations(conversation.sid).messages.create({ body: 'no hook' });
    await backend.conversations(conversation.sid).messages.create({ body: 'hook', xTwilioWebhookEnabled: 'true' });
    const [hook] = await hooks.next(1);
    expect(hook!.params).toMatchObject({ EventType: 'onMessageAdded', Source: 'API', Body: 'hook', Author: 'system', ParticipantSid: '' });
    expect(hook!.params['ClientIdentity']).toBeUndefined();
    expect(hooks.received).toHaveLength(1);
  });

  it('ADMIN-3: conversation-scoped webhooks fire for their conversation only, at most five, and go with it', async () => {
    const hooks = await receiver();
    const server = await start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: AUTH_TOKEN });
    const backend = twilioClientFor(server).conversations.v1;
    const { owner, sid } = await conversationWith(server, ['alice']);
    const other = await owner.request('conversations.create', { friendlyName: 'other' });
    const webhook = await backend.conversations(sid).webhooks.create({ target: 'webhook', 'configuration.url': hooks.url, 'configuration.filters': ['onMessageAdded', 'onMessageRemoved'] });
    expect(webhook.sid).toMatch(/^WH/);
    expect(webhook.configuration).toEqual({ url: hooks.url, method: 'POST', filters: ['onMessageAdded', 'onMessageRemoved'] });

    await owner.request('messages.send', { sid: other.sid, body: 'elsewhere', idempotencyKey: key() });
    const sent = await owner.request('messages.send', { sid, body: 'here', idempotencyKey: key() });
    await owner.request('messages.remove', { sid, index: sent.index, idempotencyKey: key() });
    const delivered = await hooks.next(2);
    expect(delivered.map((h) => [h.params['EventType'], h.params['ConversationSid'], h.params['Body']])).toEqual([
      ['onMessageAdded', sid, 'here'],
      ['onMessageRemoved', sid, 'here'],
    ]);
    expect(delivered[1]!.params['DateRemoved']).toMatch(/^\d{4}-\d\d-\d\dT/);

    for (let i = 1; i < 5; i++) await backend.conversations(sid).webhooks.create({ target: 'webhook', 'configuration.url': `${hooks.url}/${i}` });
    expect((await backend.conversations(sid).webhooks.list()).length).toBe(5);
    await expect(backend.conversations(sid).webhooks.create({ target: 'webhook', 'configuration.url': hooks.url })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(backend.conversations(sid).webhooks.create({ target: 'webhook', 'configuration.url': 'ftp://example.com' })).rejects.toMatchObject({ status: 400 });
    await expect(backend.conversations(sid).webhooks.create({ target: 'webhook', 'configuration.url': hooks.url, 'configuration.filters': ['onNothing'] })).rejects.toMatchObject({ status: 400 });

    await backend.conversations(sid).remove();
    await expect(backend.conversations(sid).webhooks(webhook.sid).fetch()).rejects.toMatchObject({ status: 404 });
  });

  it('ADMIN-3: a receiver that hangs holds up only its own deliveries: another receiver gets every later message meanwhile', async () => {
    const { hooks: stuck, server, backend } = await serverWithServiceHook(['onMessageAdded'], { webhooks: { timeoutMs: 60_000 } });
    stuck.answerWith('hang', 'hang', 'hang', 'hang');
    const healthy = await receiver();
    const { owner, sid } = await conversationWith(server, ['alice']);
    await backend.conversations(sid).webhooks.create({ target: 'webhook', 'configuration.url': healthy.url, 'configuration.filters': ['onMessageAdded'] });
    const bodies = ['one', 'two', 'three'];
    for (const body of bodies) {
      await owner.request('messages.send', { sid, body, idempotencyKey: key() });
      // Each arrives while the stuck receiver still holds every request it got.
      await healthy.next(1, (h) => h.params['Body'] === body, 5_000);
    }
    await stuck.next(3);
    expect(stuck.hanging).toBe(3);
  });

  it('ADMIN-3: webhooks cannot be configured on a server without an auth token to sign them', async () => {
    const server = await start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID });
    const backend = twilioClientFor(server).conversations.v1;
    await expect(backend.services(SERVICE_SID).configuration.webhooks().update({ postWebhookUrl: 'https://example.com/hooks' })).rejects.toMatchObject({
      status: 400,
      code: 20001,
    });
  });

  it('ADMIN-3: a failing receiver is retried with back-off until it answers; past the retries the delivery is dropped', async () => {
    const { hooks, server } = await serverWithServiceHook(['onMessageAdded'], { webhooks: { retries: 3, retryBaseMs: 20 } });
    hooks.answerWith(500, 503, 429);
    const { owner, sid } = await conversationWith(server, ['alice']);
    const sent = await owner.request('messages.send', { sid, body: 'eventually', idempotencyKey: key() });
    const attempts = await hooks.next(4);
    expect(attempts.map((h) => h.params['MessageSid'])).toEqual([sent.sid, sent.sid, sent.sid, sent.sid]);
    // The receiver dedups by MessageSid: every attempt is the same, signed delivery.
    expect(attempts.every((h) => signedBy(AUTH_TOKEN, h))).toBe(true);

    hooks.answerWith(500, 500, 500, 500);
    await owner.request('messages.send', { sid, body: 'never', idempotencyKey: key() });
    const failing = await hooks.next(4, (h) => h.params['Body'] === 'never');
    expect(failing).toHaveLength(4);
    // A later event is still delivered; the dropped one is not tried a fifth time.
    await owner.request('messages.send', { sid, body: 'after', idempotencyKey: key() });
    await hooks.next(1, (h) => h.params['Body'] === 'after');
    expect(hooks.received.filter((h) => h.params['Body'] === 'never')).toHaveLength(4);
  });

  it('ADMIN-3: a receiver that never answers does not slow message delivery to clients', async () => {
    const { hooks, server } = await serverWithServiceHook(['onMessageAdded'], { webhooks: { timeoutMs: 60_000 } });
    hooks.answerWith('hang', 'hang', 'hang', 'hang', 'hang');
    const { owner, sid } = await conversationWith(server, ['alice', 'bob']);
    const bob = await connect(server, 'bob');
    for (let i = 0; i < 5; i++) await owner.request('messages.send', { sid, body: `m${i}`, idempotencyKey: key() });
    await bob.waitForEvent('messageAdded', (e) => e.data.message.body === 'm4');
    // Every message reached bob while the receiver still held its first request unanswered.
    expect(hooks.hanging).toBeGreaterThan(0);
  });
});

describe('pre-event webhooks (ADMIN-3)', () => {
  const { cleanups, start, connect } = useServers();

  async function withPreHook(filters: string[], options: Partial<StartServerOptions> = {}) {
    const hooks = await webhookReceiver();
    cleanups.push(() => hooks.close());
    const server = await start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: AUTH_TOKEN, ...options });
    const backend = twilioClientFor(server).conversations.v1;
    await backend.services(SERVICE_SID).configuration.webhooks().update({ preWebhookUrl: hooks.url, filters });
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    const { sid } = await alice.request('conversations.create', { friendlyName: 'moderated' });
    await alice.request('participants.add', { sid, identity: 'bob' });
    await bob.waitForEvent('conversationAdded');
    return { hooks, server, backend, alice, bob, sid };
  }

  it('ADMIN-3: a 200 with JSON changes the message before anyone sees it; the webhook saw the original, signed', async () => {
    const { hooks, alice, bob, sid } = await withPreHook(['onMessageAdd']);
    hooks.answerWith({ status: 200, body: JSON.stringify({ body: '[redacted]', attributes: '{"moderated":true}' }) });
    const sent = await alice.request('messages.send', { sid, body: 'my password is hunter2', idempotencyKey: key() });
    expect(sent).toMatchObject({ body: '[redacted]', attributes: { moderated: true }, author: 'alice' });
    const seen = await bob.waitForEvent('messageAdded');
    expect(seen.data.message).toMatchObject({ body: '[redacted]', attributes: { moderated: true } });
    const [hook] = hooks.received;
    expect(hook!.params).toMatchObject({ EventType: 'onMessageAdd', Source: 'SDK', ClientIdentity: 'alice', Body: 'my password is hunter2', ConversationSid: sid });
    expect(signedBy(AUTH_TOKEN, hook!)).toBe(true);
  });

  it('ADMIN-3: a 4xx or 5xx refuses the action with webhook_rejected, and nothing is stored or sent', async () => {
    const { hooks, alice, bob, sid } = await withPreHook(['onMessageAdd', 'onConversationUpdate']);
    hooks.answerWith(403, 500);
    const refused = await alice.requestError('messages.send', { sid, body: 'spam', idempotencyKey: key() });
    expect(refused).toMatchObject({ code: 'webhook_rejected', details: { status: 403 } });
    expect(await alice.requestError('conversations.update', { sid, friendlyName: 'x', idempotencyKey: key() })).toMatchObject({
      code: 'webhook_rejected',
      details: { status: 500 },
    });
    expect((await alice.request('messages.list', { sid })).items).toEqual([]);
    await bob.barrier();
    expect(bob.events().filter((e) => e.kind === 'messageAdded' || e.kind === 'conversationUpdated')).toEqual([]);
    // `{}` or an empty 200 lets the next one through unchanged.
    hooks.answerWith({ status: 200, body: '{}' });
    expect(await alice.request('messages.send', { sid, body: 'fine', idempotencyKey: key() })).toMatchObject({ body: 'fine' });
  });

  it('ADMIN-3: no answer in time allows the action, late; an answer the client could not have sent is refused', async () => {
    const { hooks, alice, sid } = await withPreHook(['onMessageAdd'], { webhooks: { preTimeoutMs: 300 } });
    hooks.answerWith('hang', { status: 200, body: JSON.stringify({ body: 'x'.repeat(40_000) }) }, { status: 200, body: '{"attributes":"not json"}' });
    expect(await alice.request('messages.send', { sid, body: 'late but sent', idempotencyKey: key() })).toMatchObject({ body: 'late but sent' });
    expect(await alice.requestError('messages.send', { sid, body: 'b', idempotencyKey: key() })).toMatchObject({ code: 'string_too_long' });
    expect(await alice.requestError('messages.send', { sid, body: 'c', idempotencyKey: key() })).toMatchObject({ code: 'invalid_argument' });
    expect((await alice.request('messages.list', { sid })).items.map((m) => m.body)).toEqual(['late but sent']);
  });

  it('ADMIN-3: the webhook hears only of actions the caller may do, only of the events it filters, and never of REST actions', async () => {
    const { hooks, server, backend, alice, sid } = await withPreHook(['onMessageAdd', 'onConversationAdd']);
    const outsider = await connect(server, 'mallory');
    expect(await outsider.requestError('messages.send', { sid, body: 'let me in', idempotencyKey: key() })).toMatchObject({ code: 'not_a_participant' });
    await alice.request('messages.update', { sid, index: (await alice.request('messages.send', { sid, body: 'v1', idempotencyKey: key() })).index, body: 'v2', idempotencyKey: key() });
    await backend.conversations(sid).messages.create({ body: 'from the backend', xTwilioWebhookEnabled: 'true' });
    hooks.answerWith({ status: 200, body: '{"friendly_name":"Renamed by the app"}' });
    const created = await alice.request('conversations.create', { friendlyName: 'mine', idempotencyKey: key() });
    expect(created.friendlyName).toBe('Renamed by the app');
    // 'moderated' in the set-up, one send and the creation above: nothing for mallory, the update or REST.
    expect(hooks.received.map((h) => [h.params['EventType'], h.params['Body'] ?? h.params['FriendlyName']])).toEqual([
      ['onConversationAdd', 'moderated'],
      ['onMessageAdd', 'v1'],
      ['onConversationAdd', 'mine'],
    ]);
  });
});

describe('the webhook outbox across a crash (ADMIN-3)', () => {
  it('ADMIN-3: deliveries still owed when the server is SIGKILLed are delivered after it restarts', async () => {
    const db = tempDatabase();
    const hooks = await webhookReceiver();
    let server = await spawnServer(db.path);
    try {
      const backend = twilioClientFor(server as unknown as RunningServer).conversations.v1;
      await backend.services(SERVICE_SID).configuration.webhooks().update({ postWebhookUrl: hooks.url, filters: ['onMessageAdded'] });
      const conversation = await backend.conversations.create({ friendlyName: 'durable' });
      hooks.answerWith(503, 503, 503, 503, 503, 503);
      const posted = await backend.conversations(conversation.sid).messages.create({ body: 'owed', xTwilioWebhookEnabled: 'true' });
      await hooks.next(1);
      await server.kill();

      hooks.answerWith(); // from now on: 200
      hooks.received.length = 0;
      server = await spawnServer(db.path, server.port);
      const [delivered] = await hooks.next(1, (h) => h.params['MessageSid'] === posted.sid, 20_000);
      expect(delivered!.params).toMatchObject({ EventType: 'onMessageAdded', Body: 'owed', Source: 'API' });
      expect(signedBy(CHILD_AUTH_TOKEN, delivered!)).toBe(true);
    } finally {
      await server.stop();
      await hooks.close();
      db.cleanup();
    }
  }, 60_000);
});
