// The chaos scenario (CONN-3, CONN-4, CONN-5, STORE-5, STORE-7): N ConversationsClients in one
// conversation send M messages each through a fault-injecting proxy; then faults stop and every
// client's `messages$` must equal the server's list exactly. Framework-free: used by chaos.spec.ts
// (`npm test`) and by the soak (`npm run soak`, a bigger run).
import WebSocket from 'ws';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { Message } from '@rx-conversations/protocol';
import { startServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, type MessageView, type SentMessage } from '../../src/index.js';
import { createMemoryStorage } from '../../src/push/KeyValueStorage.js';
import { startFaultProxy, type Fault, type FaultRates } from './faultProxy.js';

const KEY_ID = 'SKchaos';
const SECRET = 'chaos-test-secret-that-is-long-enough-0123';

export interface ChaosOptions {
  readonly clients: number;
  readonly messagesPerClient: number;
  /** Sends in flight per client. */
  readonly concurrency: number;
  readonly seed: number;
  readonly rates: FaultRates;
  /** Budget for the whole run, ms. */
  readonly deadlineMs: number;
  /** Client request timeout; short makes sends fail under stalls, exercising retry(). Default 400 ms. */
  readonly requestTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface ChaosResult {
  /** Messages the server holds at the end (read back from it, not the number sent). */
  readonly messages: number;
  /** Sends whose promise (or retry) resolved; the rest failed on the client but were committed. */
  readonly acknowledged: number;
  readonly failedThenRetried: number;
  readonly clientFailures: number;
  readonly faults: Readonly<Record<Fault, number>>;
  readonly connections: number;
  readonly seconds: number;
}

export const DEFAULT_RATES: FaultRates = { drop: 0.004, cut: 0.004, stall: 0.003, delay: 0.01, refuse: 0.1, maxDelayMs: 40 };

function failIfLate(deadline: number, what: string): void {
  if (Date.now() > deadline) throw new Error(`chaos: deadline passed while ${what}`);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const deadline = started + options.deadlineMs;
  const log = options.log ?? (() => undefined);
  // A short heartbeat on both sides, so half-open connections are noticed within ~1 s, not ~10 s.
  const server = await startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: SECRET }, heartbeatIntervalMs: 250, rateLimit: { ratePerSecond: 10_000, burst: 10_000 } });
  const proxy = await startFaultProxy(server.port, options.rates, options.seed);
  const clients: ConversationsClient[] = [];
  try {
    const identities = Array.from({ length: options.clients }, (_, i) => `chaos-${i}`);
    const token = (identity: string) => createAccessToken({ identity, keyId: KEY_ID, secret: SECRET });

    // Set-up goes straight to the server: the conversation and its participants.
    const admin = new ConversationsClient(await token('chaos-admin'), { url: server.url, WebSocket, storage: createMemoryStorage(), fetch: null });
    clients.push(admin);
    await admin.whenSynchronized();
    const created = await admin.createConversation({ friendlyName: 'chaos' });
    const sid = created.sid;
    for (const identity of identities) await admin.conversation(sid).add(identity);

    const latest = new Map<ConversationsClient, readonly MessageView[]>();
    for (const identity of identities) {
      const client = new ConversationsClient(await token(identity), {
        url: proxy.url,
        WebSocket,
        storage: createMemoryStorage(),
        fetch: null,
        heartbeat: { intervalMs: 250, timeoutMs: 1_000 },
        reconnect: { initialDelayMs: 10, maxDelayMs: 250, connectingPeriodMs: 600_000 },
        // Short, so stalls make sends fail (request_timeout) and the test exercises retry() on them.
        requestTimeoutMs: options.requestTimeoutMs ?? 400,
        // The check compares every client's whole messages$ with every acknowledged message, so the
        // window must hold them all (the soak sends far more than the default bound of 2,000).
        maxWindowMessages: Infinity,
      });
      clients.push(client);
      // Observed from the start and all along (STORE-5: live additions append).
      client.conversation(sid).messages$.subscribe((list) => latest.set(client, list));
    }
    const senders = clients.slice(1);

    // Each client sends its messages, `concurrency` at a time; failures are retried with retry().
    const acked = new Map<string, SentMessage>();
    const retried = new Set<string>();
    let failures = 0;
    const sendAll = async (client: ConversationsClient, c: number): Promise<void> => {
      const handle = client.conversation(sid);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < options.messagesPerClient) {
          const n = next++;
          try {
            const sent = await handle.sendMessage(`${identities[c]} #${n}`);
            acked.set(sent.key, sent);
          } catch {
            failures += 1;
          }
          failIfLate(deadline, 'sending');
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      // Every failed optimistic send is retried until it goes through (same key: never a duplicate).
      for (;;) {
        const failed = (latest.get(client) ?? []).filter((m) => m.status === 'failed');
        if (failed.length === 0) break;
        for (const m of failed) {
          retried.add(m.idempotencyKey);
          try {
            const sent = await m.retry();
            acked.set(sent.key, sent);
          } catch {
            failures += 1;
          }
          failIfLate(deadline, 'retrying');
        }
      }
    };
    const progress = setInterval(() => log(`  chaos: ${acked.size} acknowledged, faults ${JSON.stringify(proxy.injected)}`), 10_000);
    try {
      await Promise.all(senders.map((client, c) => sendAll(client, c)));
    } finally {
      clearInterval(progress);
    }

    // Faults stop; stalled connections are reset so nobody waits for a heartbeat to notice.
    const faults = { ...proxy.injected };
    proxy.enabled = false;
    proxy.cutAll();

    const truth: Message[] = [];
    for (let anchor: number | undefined; ; ) {
      const page = await admin.conversation(sid).getMessages(100, anchor, 'forwards');
      truth.push(...page.items);
      if (!page.hasNextPage || page.items.length === 0) break;
      anchor = page.items[page.items.length - 1]!.index;
    }
    const total = options.clients * options.messagesPerClient;
    const problems: string[] = [];
    if (truth.length !== total) problems.push(`the server holds ${truth.length} messages, ${total} were sent`);
    // Each client's messages are all there, once: a send that failed on the client may still have been
    // committed (its reply was lost); the store then confirms it from the live event, with no retry.
    for (const identity of identities) {
      const authored = truth.filter((m) => m.author === identity);
      const bodies = new Set(authored.map((m) => m.body));
      if (authored.length !== options.messagesPerClient || bodies.size !== options.messagesPerClient) {
        problems.push(`${identity} has ${authored.length} messages (${bodies.size} distinct) on the server, sent ${options.messagesPerClient}`);
      }
    }
    const truthKeys = truth.map((m) => `${m.index}:${m.idempotencyKey}:${m.body}`);
    if (new Set(truth.map((m) => m.idempotencyKey)).size !== truth.length) problems.push('the server holds a duplicate idempotency key');
    for (const sent of acked.values()) {
      const stored = truth[sent.index];
      if (stored === undefined || stored.idempotencyKey !== sent.idempotencyKey) problems.push(`acknowledged ${sent.idempotencyKey} at ${sent.index} is not there`);
    }

    for (const [c, client] of senders.entries()) {
      const name = identities[c]!;
      const handle = client.conversation(sid);
      const remaining = Math.max(1, deadline - Date.now());
      await firstValueFrom(client.connectionState$.pipe(filter((s) => s === 'connected'), timeout(remaining)));
      // Whatever the window misses below its oldest message is history: load it.
      for (let i = 0; i < 1000; i++) {
        const { hasMore } = await handle.loadOlder(100);
        if (!hasMore) break;
      }
      let list: readonly MessageView[];
      try {
        list = await firstValueFrom(handle.messages$.pipe(filter((l) => l.length >= total && l.every((m) => m.status === 'sent')), timeout(Math.max(1, deadline - Date.now()))));
      } catch {
        list = latest.get(client) ?? [];
      }
      const got = list.map((m) => `${m.index}:${m.idempotencyKey}:${m.body}`);
      if (JSON.stringify(got) !== JSON.stringify(truthKeys)) {
        const firstDiff = got.findIndex((g, i) => g !== truthKeys[i]);
        problems.push(`${name}'s messages$ differs from the server: ${got.length} held vs ${truthKeys.length}; first difference at ${firstDiff}: ${got[firstDiff]} vs ${truthKeys[firstDiff]}; statuses ${JSON.stringify(countBy(list.map((m) => m.status)))}`);
      }
    }
    for (const key of retried) {
      const copies = truth.filter((m) => m.idempotencyKey === key).length;
      if (copies !== 1) problems.push(`retried send ${key} is on the server ${copies} times`);
    }
    if (problems.length > 0) throw new Error(`chaos (seed ${options.seed}) found ${problems.length} problem(s):\n${problems.slice(0, 20).join('\n')}`);
    return {
      messages: truth.length,
      acknowledged: acked.size,
      failedThenRetried: retried.size,
      clientFailures: failures,
      faults,
      connections: proxy.accepted,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await Promise.all(clients.map((c) => c.shutdown()));
    await proxy.close();
    await server.close();
  }
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
