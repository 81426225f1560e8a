// The real server on port 0 (SQLite and media files in a temporary directory) with short-lived media
// URLs, and real clients with media support over real websockets and real HTTP.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, createMemoryStorage, type WebSocketConstructor } from '../../src/index.js';
import { createMediaSupport, type MediaOptions } from '../../src/media.js';

const SECRET = 'media-client-secret-0123456789abcdef';

export interface MediaServer {
  readonly server: RunningServer;
  /** A synchronised client of `identity` with media support. */
  client(identity: string, media?: MediaOptions): Promise<ConversationsClient>;
  close(): Promise<void>;
}

/** `urlTtlMs`: how long the server's download URLs live (short, to see them renewed). */
export async function startMediaServer(urlTtlMs = 300_000): Promise<MediaServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rxc-media-client-'));
  const server = await startServer({
    port: 0,
    database: join(dir, 'chat.db'),
    keys: { SK1: SECRET },
    rateLimit: { ratePerSecond: 100_000, burst: 100_000 },
    media: { urlTtlMs },
  });
  const clients: ConversationsClient[] = [];
  return {
    server,
    async client(identity, media = {}) {
      const token = await createAccessToken({ identity, keyId: 'SK1', secret: SECRET });
      const client = new ConversationsClient(token, {
        url: server.url,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        storage: createMemoryStorage(),
        platform: null,
        media: createMediaSupport(media),
      });
      clients.push(client);
      await client.whenSynchronized();
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.shutdown()));
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A 1×1 PNG: real magic numbers, so the server takes it as `image/png` and makes a preview. */
export const PNG_1X1 = Uint8Array.from(
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'),
);

/** `length` bytes of text (no magic number: any text type takes them). */
export function textBytes(length: number, seed = 'abcdefghij'): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = seed.charCodeAt(i % seed.length);
  return out;
}

/** Downloads a signed URL (no token). */
export async function download(url: string): Promise<{ status: number; bytes: Uint8Array; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()), type: res.headers.get('content-type') };
}
