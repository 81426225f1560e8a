import WebSocket from 'ws'; // Node only: browsers have their own WebSocket
import { ConversationsClient } from '@rx-conversations/client';

const server = process.env['DEMO_URL'] ?? 'http://127.0.0.1:8080';

// DEVELOPMENT ONLY: the demo's token endpoint, which trusts any name. Your backend mints tokens with
// createAccessToken from @rx-conversations/token after signing the user in.
async function devToken(identity: string): Promise<string> {
  const response = await fetch(new URL('/dev/token', server), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity }),
  });
  if (!response.ok) throw new Error(`POST /dev/token: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

const client = new ConversationsClient(await devToken('carol'), {
  url: server.replace(/^http/, 'ws'),
  WebSocket,
  tokenProvider: () => devToken('carol'), // renews the token on the open socket before it expires
});
client.connectionState$.subscribe((state) => console.log(`connection: ${state}`));
await client.whenSynchronized();

// Every command resolves once its effect is in the store: no waiting for an `updated` event.
const chat = await client.createConversation({ friendlyName: 'Hello from Node' });
await chat.add('alice'); // signed in as alice in the browser? It appears in your list now.
chat.messages$.subscribe((messages) => {
  if (messages.length > 0) console.log(messages.map((m) => `  #${m.index ?? '…'} ${m.author}: ${m.body} (${m.status})`).join('\n'));
});
await chat.sendMessage('Hi Alice, this is Node!'); // shown at once as 'sending', then 'sent'

await client.shutdown(); // completes every observable; the process can exit
