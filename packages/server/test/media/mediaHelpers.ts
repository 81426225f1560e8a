import { readdirSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import sharp from 'sharp';
import { filter, from, interval, mergeMap, startWith } from 'rxjs';
import type { Media } from '@rx-conversations/protocol';
import type { RunningServer } from '../../src/index.js';
import { key } from '../helpers/connectUser.js';
import type { TestClient } from '../helpers/TestClient.js';
import { tokenFor } from '../helpers/testKeys.js';
import { within } from '../helpers/within.js';

/** What the server answered an HTTP call. */
export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  /** The `x-rxc-error` header (every refusal has it, and the same `code` in its body). */
  readonly code: string | null;
}

/** A real PNG image of the given size, made by sharp. */
export function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer();
}

/** Bytes that look like nothing in particular (no magic number). */
export function textBytes(length: number, fill = 'x'): Buffer {
  return Buffer.alloc(length, fill);
}

/** POSTs an upload with fetch and the user's token in `Authorization`. */
export async function upload(
  server: RunningServer,
  identity: string | null,
  conversationSid: string,
  bytes: Uint8Array,
  options: { contentType?: string; filename?: string; token?: string } = {},
): Promise<Answer<Media & { conversationSid: string; code?: string }>> {
  const query = new URLSearchParams({ conversationSid, ...(options.filename === undefined ? {} : { filename: options.filename }) });
  const token = options.token ?? (identity === null ? undefined : await tokenFor(identity));
  const res = await fetch(`${server.httpUrl}/v1/media?${query}`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'image/png', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: new Blob([new Uint8Array(bytes)]),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as never, code: res.headers.get('x-rxc-error') };
}

/** The signed URLs of a media, asked by `identity` (`GET /v1/media/{sid}`). */
export async function mediaUrl(server: RunningServer, identity: string, sid: string): Promise<Answer<Media & { url: string; previewUrl?: string; expiresAt: number; code?: string }>> {
  const res = await fetch(`${server.httpUrl}/v1/media/${sid}`, { headers: { authorization: `Bearer ${await tokenFor(identity)}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as never, code: res.headers.get('x-rxc-error') };
}

/** Downloads a URL: status, headers and the bytes. */
export async function download(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer; code: string | null }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()), code: res.headers.get('x-rxc-error') };
}

/**
 * Sends an HTTP request by hand on a raw socket: the headers, then `body` (possibly less than the
 * declared length). Resolves with the socket and a promise of whatever the server answers.
 */
export function rawRequest(server: RunningServer, head: string, body: Uint8Array = Buffer.alloc(0)): Promise<{ socket: import('node:net').Socket; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(server.port, '127.0.0.1', () => {
      socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
      if (body.length > 0) socket.write(body);
      const chunks: Buffer[] = [];
      const answer = new Promise<string>((done) => {
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('close', () => done(Buffer.concat(chunks).toString('latin1')));
        socket.on('error', () => undefined);
      });
      resolve({ socket, answer });
    });
    socket.once('error', reject);
  });
}

/** The head of an upload request, for {@link rawRequest}. */
export async function uploadHead(identity: string, conversationSid: string, headers: Record<string, string | number>): Promise<string> {
  const lines = Object.entries({ host: 'localhost', connection: 'close', authorization: `Bearer ${await tokenFor(identity)}`, ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `POST /v1/media?conversationSid=${conversationSid} HTTP/1.1\n${lines.join('\n')}\n`;
}

/** Resolves once `check` holds, polling every 10 ms; fails after `ms` naming `what`. A bounded wait, not a sleep. */
export function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<unknown> {
  return within(
    interval(10).pipe(
      startWith(0),
      mergeMap(() => from(Promise.resolve(check())), 1),
      filter((ok) => ok),
    ),
    ms,
    what,
  );
}

/** Every file under a directory, relative paths, the incoming directory included (none when it does not exist). */
export function filesIn(directory: string): string[] {
  try {
    return readdirSync(directory, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => `${entry.parentPath.slice(directory.length)}/${entry.name}`.replace(/^\/+/, ''));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Alice creates a conversation and adds Bob; both are connected. */
export async function aConversationOf(alice: TestClient, bob: TestClient): Promise<string> {
  const conversation = await alice.request('conversations.create', { friendlyName: 'media' });
  await alice.request('participants.add', { sid: conversation.sid, identity: bob.welcome.identity });
  await bob.waitForEvent('conversationAdded', (e) => e.data.conversation.sid === conversation.sid);
  return conversation.sid;
}

/** Sends a message with attachments. */
export function sendWith(client: TestClient, sid: string, mediaSids: string[], body?: string) {
  return client.request('messages.send', { sid, mediaSids, ...(body === undefined ? {} : { body }), idempotencyKey: key() });
}
