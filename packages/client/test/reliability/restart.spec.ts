// Restart with real clients (CONN-3, CONN-5, STORE-7, PERF-4): the server process is SIGKILLed during a
// burst of sends and restarted on the same SQLite file and port. The ConversationsClients reconnect and
// resume on their own; every acknowledged send survives; failed sends retried once land once; both
// clients' `messages$` end equal to the server's list.
import { afterAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { ConversationsClient, type MessageView, type SentMessage } from '../../src/index.js';
import { createMemoryStorage } from '../../src/push/KeyValueStorage.js';
import { tempDatabase } from '../../../server/test/helpers/tempDatabase.js';
import { tokenFor } from '../../../server/test/helpers/testKeys.js';
import { spawnServer, type ServerProcess } from '../../../server/test/reliability/restart/serverProcess.js';

const db = tempDatabase();
const processes: ServerProcess[] = [];
afterAll(async () => {
  for (const p of processes) await p.kill();
  db.cleanup();
});

const options = (url: string) => ({
  url,
  WebSocket,
  storage: createMemoryStorage(),
  fetch: null,
  heartbeat: { intervalMs: 250, timeoutMs: 1_000 },
  reconnect: { initialDelayMs: 20, maxDelayMs: 200, connectingPeriodMs: 600_000 },
});

describe('SIGKILL and restart under real clients (CONN-5, PERF-4)', () => {
  it('CONN-5: clients reconnect and resume on their own; no acknowledged send is lost; messages$ equals the server', async () => {
    let server = await spawnServer(db.path);
    processes.push(server);
    const writer = new ConversationsClient(await tokenFor('writer'), options(server.url));
    const reader = new ConversationsClient(await tokenFor('reader'), options(server.url));
    try {
      await writer.whenSynchronized();
      const handle = await writer.createConversation({ friendlyName: 'restart' });
      await handle.add('reader');
      await reader.whenSynchronized();
      const latest = new Map<ConversationsClient, readonly MessageView[]>();
      for (const c of [writer, reader]) c.conversation(handle.sid).messages$.subscribe((l) => latest.set(c, l));
      const states: string[] = [];
      reader.connectionState$.subscribe((s) => states.push(s));

      const TOTAL = 600;
      const KILL_AT = 200;
      const acked = new Map<string, SentMessage>();
      let killing: Promise<void> | undefined;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < TOTAL) {
          const n = next++;
          try {
            const sent = await handle.sendMessage(`burst ${n}`);
            acked.set(sent.key, sent);
          } catch {
            // failed sends stay in messages$ as 'failed' and are retried below
          }
          if (acked.size >= KILL_AT && killing === undefined) {
            // SIGKILL mid-burst, then the same file and port again; the clients are not told anything.
            killing = (async () => {
              const port = server.port;
              await server.kill();
              server = await spawnServer(db.path, port);
              processes.push(server);
            })();
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      await killing;
      const retried: string[] = [];
      for (;;) {
        const failed = (latest.get(writer) ?? []).filter((m) => m.status === 'failed');
        if (failed.length === 0) break;
        for (const m of failed) {
          retried.push(m.idempotencyKey);
          const sent = await m.retry();
          acked.set(sent.key, sent);
        }
      }
      // The reader went through connecting and came back by itself.
      await firstValueFrom(reader.connectionState$.pipe(filter((s) => s === 'connected'), timeout(15_000)));
      expect(states).toContain('connecting');

      const truth = [];
      for (let anchor: number | undefined; ; ) {
        const page = await handle.getMessages(100, anchor, 'forwards');
        truth.push(...page.items);
        if (!page.hasNextPage || page.items.length === 0) break;
        anchor = page.items[page.items.length - 1]!.index;
      }
      expect(truth.map((m) => m.index)).toEqual(truth.map((_, i) => i));
      expect(new Set(truth.map((m) => m.body)).size).toBe(TOTAL);
      expect(truth).toHaveLength(TOTAL);
      for (const sent of acked.values()) expect(truth[sent.index]?.idempotencyKey).toBe(sent.idempotencyKey);
      const want = truth.map((m) => `${m.index}:${m.idempotencyKey}`);
      for (const c of [writer, reader]) {
        const conversation = c.conversation(handle.sid);
        for (let i = 0; i < 100; i++) if (!(await conversation.loadOlder(100)).hasMore) break;
        const list = await firstValueFrom(conversation.messages$.pipe(filter((l) => l.length >= TOTAL && l.every((m) => m.status === 'sent')), timeout(15_000)));
        expect(list.map((m) => `${m.index}:${m.idempotencyKey}`)).toEqual(want);
      }
      process.stdout.write(`client restart: ${TOTAL} sends, SIGKILL after ${KILL_AT} acknowledged, ${retried.length} retried with retry(); both clients resumed and converged\n`);
    } finally {
      await writer.shutdown();
      await reader.shutdown();
      await server.stop();
    }
  }, 60_000);
});
