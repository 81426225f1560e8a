/**
 * The FakeServer's media (MEDIA-1, MEDIA-2): an app test can send attachments and read their URLs
 * with the real client, no network, through the same core as the real server.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConversationsClient, type ConversationsError, type SentMessage } from '@rx-conversations/client';
import { createMediaSupport } from '@rx-conversations/client/media';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { FakeServer } from '../src/index.js';

const clients: ConversationsClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.shutdown()));
});

function clientOf(fake: FakeServer, identity: string): ConversationsClient {
  const client = new ConversationsClient(fake.tokenFor(identity), {
    url: fake.url,
    WebSocket: fake.WebSocket,
    fetch: null,
    platform: null,
    media: createMediaSupport({ transport: fake.mediaTransport }),
  });
  clients.push(client);
  return client;
}

const PDF = new TextEncoder().encode('%PDF-1.4 a tiny document');

describe('FakeServer: media through the shared core', () => {
  it('MEDIA-1: sendMessage with media reaches the other participant with message.media, and the URL serves the bytes', async () => {
    const fake = new FakeServer();
    const [general] = fake.seed({ conversations: [{ friendlyName: 'General', participants: ['alice', 'bob'] }] });
    const alice = clientOf(fake, 'alice');
    const bob = clientOf(fake, 'bob');
    await Promise.all([alice.whenSynchronized(), bob.whenSynchronized()]);
    const theirs = bob.conversation(general!.sid);

    const sent = await alice.conversation(general!.sid).sendMessage({ body: 'the doc', media: [{ contentType: 'application/pdf', filename: 'doc.pdf', data: PDF }] });
    expect(sent.media).toEqual([{ sid: expect.stringMatching(/^ME/), contentType: 'application/pdf', filename: 'doc.pdf', size: PDF.length }]);
    expect(fake.requests.find((r) => r.op === 'messages.send')!.args).toMatchObject({ mediaSids: [sent.media![0]!.sid] });

    const list = await firstValueFrom(theirs.messages$.pipe(filter((l) => l.length > 0), timeout(2_000)));
    expect((list[0] as SentMessage).media).toEqual(sent.media);
    const url = await theirs.getTemporaryContentUrl(sent.media![0]!.sid);
    const res = await fake.fetch(url);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PDF);
  });

  it("MEDIA-2: only participants get a URL; an upload to someone else's conversation is refused by the core", async () => {
    const fake = new FakeServer();
    const [general] = fake.seed({ users: ['carol'], conversations: [{ friendlyName: 'General', participants: ['alice', 'bob'] }] });
    const alice = clientOf(fake, 'alice');
    const carol = clientOf(fake, 'carol');
    await Promise.all([alice.whenSynchronized(), carol.whenSynchronized()]);
    const sent = await alice.conversation(general!.sid).sendMessage({ media: [{ contentType: 'text/plain', data: new Uint8Array([104, 105]) }] });

    await expect(carol.conversation(general!.sid).getTemporaryContentUrl(sent.media![0]!.sid)).rejects.toMatchObject({ code: 'not_a_participant' });
    const refused = await carol
      .conversation(general!.sid)
      .sendMessage({ media: [{ contentType: 'text/plain', data: new Uint8Array([1]) }] })
      .then(() => null, (e: unknown) => e as ConversationsError);
    expect((refused!.cause as ConversationsError).code).toBe('not_a_participant');
  });
});
