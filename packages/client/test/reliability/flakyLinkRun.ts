// The flaky-link scenario (CONN-3, CONN-5): a sender and a receiver, both behind one relay that cuts
// every connection every `cutEveryMs` for `flakyForMs`, while the sender sends a message every
// `sendEveryMs`. Then the link heals and the receiver must catch up. Measures what a user notices:
// the send → receive delay of each message, how long the receiver takes to hold everything once the
// link is good again, and whether anything was lost, duplicated or failed. Default client options,
// as a new user would have them. Used by flakyLink.spec.ts, and runnable on its own for the figures:
//   node --experimental-vm-modules node_modules/jest/bin/jest.js packages/client/test/reliability/flakyLink
import WebSocket from 'ws';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { startServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, type MessageView } from '../../src/index.js';
import { createMemoryStorage } from '../../src/push/KeyValueStorage.js';
import { startFaultProxy } from './faultProxy.js';

const KEY_ID = 'SKflaky';
const SECRET = 'flaky-link-test-secret-long-enough-0123456';
const NO_RANDOM_FAULTS = { drop: 0, cut: 0, stall: 0, delay: 0, refuse: 0, maxDelayMs: 0 };

export interface FlakyLinkOptions {
  readonly cutEveryMs: number;
  readonly flakyForMs: number;
  readonly sendEveryMs: number;
  /** How long to wait, after the link healed, for the receiver to hold every message. */
  readonly catchUpBudgetMs: number;
}

export interface FlakyLinkResult {
  readonly sent: number;
  /** Messages the receiver held at the end, and how many distinct bodies among them. */
  readonly received: number;
  readonly distinct: number;
  readonly failedSends: number;
  /** Send → receive delay over every message, ms. */
  readonly medianDelayMs: number;
  readonly worstDelayMs: number;
  /** From the last cut (the link heals then) to the receiver holding every message, ms. */
  readonly catchUpMs: number;
  /** Connections the relay accepted while it was cutting (both clients). */
  readonly connections: number;
  readonly cuts: number;
}

export async function runFlakyLink(options: FlakyLinkOptions): Promise<FlakyLinkResult> {
  const server = await startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: SECRET } });
  const proxy = await startFaultProxy(server.port, NO_RANDOM_FAULTS, 1);
  const clients: ConversationsClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const make = async (identity: string): Promise<ConversationsClient> => {
      const token = await createAccessToken({ identity, keyId: KEY_ID, secret: SECRET });
      const client = new ConversationsClient(token, { url: proxy.url, WebSocket, storage: createMemoryStorage(), fetch: null });
      clients.push(client);
      return client;
    };
    const sender = await make('flaky-sender');
    const receiver = await make('flaky-receiver');
    await sender.whenSynchronized();
    const conversation = await sender.createConversation({ friendlyName: 'flaky link' });
    await conversation.add('flaky-receiver');
    await receiver.whenSynchronized();

    const receivedAt = new Map<string, number>();
    const inbox = receiver.conversation(conversation.sid);
    let latest: readonly MessageView[] = [];
    inbox.messages$.subscribe((list) => {
      latest = list;
      const now = Date.now();
      for (const m of list) if (m.body !== null && !receivedAt.has(m.body)) receivedAt.set(m.body, now);
    });

    const sentAt = new Map<string, number>();
    const sends: Promise<unknown>[] = [];
    let failedSends = 0;
    const acceptedBefore = proxy.accepted;
    let cuts = 0;
    const outbox = sender.conversation(conversation.sid);
    const send = (): void => {
      const body = `m${sentAt.size}`;
      sentAt.set(body, Date.now());
      sends.push(outbox.sendMessage(body).catch(() => { failedSends += 1; }));
    };
    // The flaky period ends with a cut and one more send: both clients are down when the link heals,
    // and the receiver is caught up only once both have reconnected and that message went through.
    await new Promise<void>((resolve) => {
      const started = Date.now();
      timers.push(setInterval(send, options.sendEveryMs));
      timers.push(setInterval(() => {
        proxy.cutAll();
        cuts += 1;
        if (Date.now() - started < options.flakyForMs) return;
        timers.splice(0).forEach(clearInterval);
        send();
        resolve();
      }, options.cutEveryMs));
    });
    const healedAt = Date.now();
    const connections = proxy.accepted - acceptedBefore;

    const total = sentAt.size;
    const caughtUp = await firstValueFrom(
      inbox.messages$.pipe(filter((list) => list.length >= total), timeout({ first: options.catchUpBudgetMs, with: async () => null })),
    );
    const catchUpMs = caughtUp === null ? Infinity : Date.now() - healedAt;
    await Promise.all(sends);

    const delays = [...sentAt].map(([body, at]) => (receivedAt.get(body) ?? Infinity) - at).sort((a, b) => a - b);
    const bodies = latest.map((m) => m.body);
    return {
      sent: total,
      received: latest.length,
      distinct: new Set(bodies).size,
      failedSends,
      medianDelayMs: delays[Math.floor(delays.length / 2)] ?? Infinity,
      worstDelayMs: delays[delays.length - 1] ?? Infinity,
      catchUpMs,
      connections,
      cuts,
    };
  } finally {
    timers.forEach(clearInterval);
    await Promise.all(clients.map((c) => c.shutdown()));
    await proxy.close();
    await server.close();
  }
}

/** One line with the figures, for the test output and the docs. */
export function describeFlakyLink(result: FlakyLinkResult): string {
  const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never');
  return `flaky link: ${result.sent} sent, ${result.received} received (${result.distinct} distinct), ${result.failedSends} failed sends; `
    + `delay median ${s(result.medianDelayMs)}, worst ${s(result.worstDelayMs)}; caught up ${s(result.catchUpMs)} after the link healed; `
    + `${result.connections} connections over ${result.cuts} cuts`;
}
