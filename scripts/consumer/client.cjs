// The ten-line client from CommonJS: require() of our ESM packages (Node >= 20.19 loads ESM synchronously).
const { ConversationsClient } = require('@rx-conversations/client');
const { Observable, filter, firstValueFrom, timeout } = require('rxjs');
const WebSocket = require('ws');

async function main() {
  const client = new ConversationsClient(process.env.RXC_TOKEN, { url: process.env.RXC_URL, WebSocket });
  if (!(client.conversations$ instanceof Observable)) throw new Error('client.conversations$ is not an Observable of the app’s rxjs');
  await client.whenSynchronized();
  const chat = await client.createConversation({ friendlyName: 'consumer check (cjs)' });
  await chat.sendMessage('hello from CommonJS');
  const messages = await firstValueFrom(chat.messages$.pipe(filter((list) => list.some((m) => m.status === 'sent')), timeout(10_000)));
  await client.shutdown();
  console.log(`ok: ${messages.length} message in ${chat.sid}`);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
