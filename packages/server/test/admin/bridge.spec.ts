// Participants that use no SDK (PARITY-2): SMS, WhatsApp and email addresses added through the admin
// API with the official `twilio` library; messages for them go to the app's bridge, signed, at least
// once; their replies come back through the admin API.
import { describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import { key } from '../helpers/connectUser.js';
import { useServers } from '../helpers/useServers.js';
import { webhookReceiver, type ReceivedWebhook } from '../helpers/webhookReceiver.js';
import { ACCOUNT_SID, SERVICE_SID, restFailure, twilioClientFor } from '../helpers/twilioRest.js';

const AUTH_TOKEN = 'auth-token-of-the-test-account-0001';
const signed = (hook: ReceivedWebhook): boolean =>
  hook.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, hook.signature, hook.url, hook.params);


describe('non-chat participants and the bridge (PARITY-2)', () => {
  const { start, connect, cleanups } = useServers();

  async function setUp() {
    const bridge = await webhookReceiver('/bridge');
    cleanups.push(() => bridge.close());
    const server = await start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: AUTH_TOKEN, bridgeWebhook: bridge.url, webhooks: { retryBaseMs: 10 } });
    const backend = twilioClientFor(server).conversations.v1;
    const conversation = await backend.conversations.create({ friendlyName: 'Support' });
    await backend.conversations(conversation.sid).participants.create({ identity: 'agent' });
    const agent = await connect(server, 'agent');
    return { bridge, server, backend, sid: conversation.sid, agent };
  }

  it('PARITY-2: SMS and WhatsApp participants join through REST with their bindings, and every member sees them with their type', async () => {
    const { backend, sid, agent } = await setUp();
    const sms = await backend.conversations(sid).participants.create({ 'messagingBinding.address': '+15551230001', 'messagingBinding.proxyAddress': '+15550000000' });
    expect(sms).toMatchObject({ identity: null, messagingBinding: { type: 'sms', address: '+15551230001', proxy_address: '+15550000000', projected_address: null } });
    const joined = await agent.waitForEvent('participantJoined', (e) => e.data.participant.sid === sms.sid);
    expect(joined.data.participant).toMatchObject({ type: 'sms', identity: '+15551230001', messagingBinding: { address: '+15551230001', proxyAddress: '+15550000000', projectedAddress: null } });

    const whatsapp = await backend.conversations(sid).participants.create({ 'messagingBinding.address': 'whatsapp:+15551230002', 'messagingBinding.proxyAddress': 'whatsapp:+15550000000' });
    expect(whatsapp.messagingBinding).toMatchObject({ type: 'whatsapp' });
    const email = await backend.conversations(sid).participants.create({ 'messagingBinding.address': 'pat@example.com' });
    expect(email.messagingBinding).toMatchObject({ type: 'email', proxy_address: null });
    const roster = await agent.request('participants.list', { sid });
    expect(roster.items.map((p) => [p.type, p.identity])).toEqual([
      ['chat', 'agent'],
      ['sms', '+15551230001'],
      ['whatsapp', 'whatsapp:+15551230002'],
      ['email', 'pat@example.com'],
    ]);

    // Removing one is a participantLeft like any other.
    await backend.conversations(sid).participants(sms.sid).remove();
    expect((await agent.waitForEvent('participantLeft')).data).toMatchObject({ sid: sms.sid, identity: '+15551230001' });
  });

  it('PARITY-2: a message goes to the bridge once per bridged recipient, signed; an inbound reply through REST reaches chat users and the other recipients only', async () => {
    const { bridge, backend, sid, agent } = await setUp();
    await backend.conversations(sid).participants.create({ 'messagingBinding.address': '+15551230001', 'messagingBinding.proxyAddress': '+15550000000' });
    await backend.conversations(sid).participants.create({ 'messagingBinding.address': 'whatsapp:+15551230002', 'messagingBinding.proxyAddress': 'whatsapp:+15550000000' });

    const sent = await agent.request('messages.send', { sid, body: 'Your order shipped', idempotencyKey: key() });
    const outbound = await bridge.next(2, (h) => h.params['MessageSid'] === sent.sid);
    expect(outbound.every(signed)).toBe(true);
    expect(outbound.map((h) => [h.params['RecipientType'], h.params['MessagingBinding.Address'], h.params['MessagingBinding.ProxyAddress']]).sort()).toEqual([
      ['sms', '+15551230001', '+15550000000'],
      ['whatsapp', 'whatsapp:+15551230002', 'whatsapp:+15550000000'],
    ]);
    expect(outbound[0]!.params).toMatchObject({ EventType: 'onMessageForBinding', ConversationSid: sid, Body: 'Your order shipped', Author: 'agent' });

    // The bridge hands an inbound SMS to the admin API as a message from the address.
    const inbound = await backend.conversations(sid).messages.create({ author: '+15551230001', body: 'Thanks!' });
    expect(inbound.participantSid).toMatch(/^MB/);
    expect((await agent.waitForEvent('messageAdded', (e) => e.data.message.sid === inbound.sid)).data.message).toMatchObject({ author: '+15551230001', body: 'Thanks!' });
    const relayed = await bridge.next(1, (h) => h.params['MessageSid'] === inbound.sid);
    expect(relayed[0]!.params['RecipientType']).toBe('whatsapp');
    await bridge.next(3, () => true);
    expect(bridge.received.filter((h) => h.params['MessageSid'] === inbound.sid)).toHaveLength(1);
  });

  it('PARITY-2: a bridge that fails is retried until it takes the message (at least once)', async () => {
    const { bridge, backend, sid, agent } = await setUp();
    await backend.conversations(sid).participants.create({ 'messagingBinding.address': '+15551230001', 'messagingBinding.proxyAddress': '+15550000000' });
    bridge.answerWith(500, 503);
    const sent = await agent.request('messages.send', { sid, body: 'retry me', idempotencyKey: key() });
    const attempts = await bridge.next(3, (h) => h.params['MessageSid'] === sent.sid);
    expect(attempts.map((h) => h.params['Body'])).toEqual(['retry me', 'retry me', 'retry me']);
  });

  it('PARITY-2: bad bindings get precise errors and add nobody', async () => {
    const { backend, sid, agent } = await setUp();
    const participants = backend.conversations(sid).participants;
    expect(await restFailure(participants.create({ identity: 'x', 'messagingBinding.address': '+15551230001', 'messagingBinding.proxyAddress': '+1555' }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(participants.create({}))).toMatchObject({ status: 400, code: 20001 });
    const noProxy = await restFailure(participants.create({ 'messagingBinding.address': '+15551230001' }));
    expect(noProxy).toMatchObject({ status: 400, code: 20001 });
    expect(noProxy.message).toContain('MessagingBinding.ProxyAddress');
    await participants.create({ 'messagingBinding.address': '+15551230001', 'messagingBinding.proxyAddress': '+15550000000' });
    expect(await restFailure(participants.create({ 'messagingBinding.address': '+15551230001', 'messagingBinding.proxyAddress': '+15550000000' }))).toMatchObject({ status: 409, code: 50433 });
    expect((await agent.request('participants.list', { sid })).items).toHaveLength(2);
    // The server refuses a bridge it could not sign for.
    await expect(start({ bridgeWebhook: 'http://127.0.0.1:9/bridge' })).rejects.toThrow('`bridgeWebhook` needs `authToken`');
  });
});
