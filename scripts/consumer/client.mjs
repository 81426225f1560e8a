// The ten-line client as a plain Node ESM script.
import { ConversationsClient } from '@rx-conversations/client';
import { Observable, filter, firstValueFrom, timeout } from 'rxjs';
import WebSocket from 'ws';

const client = new ConversationsClient(process.env.RXC_TOKEN, { url: process.env.RXC_URL, WebSocket });
if (!(client.conversations$ instanceof Observable)) throw new Error('client.conversations$ is not an Observable of the app’s rxjs');
await client.whenSynchronized();
const chat = await client.createConversation({ friendlyName: 'consumer check (esm)' });
await chat.sendMessage('hello from ESM');
const messages = await firstValueFrom(chat.messages$.pipe(filter((list) => list.some((m) => m.status === 'sent')), timeout(10_000)));
await client.shutdown();
console.log(`ok: ${messages.length} message in ${chat.sid}`);
