import { describe, expect, it } from '@jest/globals';
import { PROTOCOL_VERSION, type OpArgs, type OpName, type OpResult } from '@rx-conversations/protocol';
import type { Bus, BusListener } from './Bus.js';
import { Core } from './Core.js';
import { MemoryStore } from './MemoryStore.js';
import type { OpContext } from './ops/OpContext.js';
import { operations } from './ops/operations.js';
import { Session, type SessionSettings } from './Session.js';
import { runSync, wait, type Step } from './Step.js';
import type { Store, StoreTx } from './Store.js';

/**
 * A networked store over a memory store: each read takes its snapshot when called (the body runs at
 * once) but answers only when released, as a database round trip would while other nodes commit.
 */
class SlowStore implements Store {
  readonly synchronous = false;
  holding = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly inner: MemoryStore) {}

  get pending(): number {
    return this.waiting.length;
  }

  *write<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    const value = runSync(this.inner.write(body));
    return yield* wait(Promise.resolve(value));
  }

  *read<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    const value = runSync(this.inner.read(body));
    if (!this.holding) return yield* wait(Promise.resolve(value));
    return yield* wait(new Promise<R>((resolve) => this.waiting.push(() => resolve(value))));
  }

  *prune(): Step<void> {}

  releaseOne(): void {
    this.waiting.shift()?.();
  }

  releaseAll(): void {
    this.holding = false;
    while (this.waiting.length > 0) this.releaseOne();
  }
}

/** A bus between two cores in one process, which can lose messages. */
function linkedBus(): { bus: Bus; deliver: BusListener['events']; dropping: boolean; listeners: BusListener[] } {
  const link = {
    dropping: false,
    listeners: [] as BusListener[],
    bus: undefined as unknown as Bus,
    deliver: (events: Parameters<BusListener['events']>[0]) => {
      if (!link.dropping) for (const l of link.listeners) l.events(events);
    },
  };
  link.bus = {
    shared: true,
    publishEvents: (events) => link.deliver(events),
    publishSignal: () => {},
    listen: (listener) => void link.listeners.push(listener),
  };
  return link;
}

const settle = async (until: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !until(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  expect(until()).toBe(true);
};

function twoNodes() {
  const memory = new MemoryStore();
  let n = 0;
  const newSid = (prefix: string) => `${prefix}${++n}`;
  const clock = () => 1_800_000_000_000;
  const link = linkedBus();
  // Node A reads through a slow store; node B writes straight to the same data and publishes on the link.
  const slow = new SlowStore(memory);
  const a = new Core({ store: slow, clock, newSid, bus: { ...link.bus, publishEvents: () => {} } });
  const b = new Core({ store: memory, clock, newSid, bus: { ...link.bus, listen: () => {} } });
  const perform = <O extends OpName>(identity: string, op: O, args: OpArgs<O>): OpResult<O> => {
    const context: OpContext = { core: b, identity, peer: null };
    return runSync((operations[op] as (ctx: OpContext, args: unknown) => Step<OpResult<O>>)(context, args));
  };
  const head = () => runSync(memory.read((tx) => tx.headSeq()));
  return { a, b, memory, slow, link, perform, head };
}

function connect(core: Core, identity: string) {
  const frames: Array<{ type: string; seq?: number; kind?: string; [key: string]: unknown }> = [];
  const settings: SessionSettings = {
    core,
    verifyToken: async () => ({ identity, expiresAt: Number.MAX_SAFE_INTEGER }),
    timers: { set: () => 0, clear: () => {} },
    heartbeatIntervalMs: 4000,
    handshakeTimeoutMs: null,
    tokenNoticeLeadMs: 0,
    tokenTimers: false,
    rateLimit: null,
  };
  const push = (frame: string) => frames.push(JSON.parse(frame) as (typeof frames)[number]);
  const session = new Session(
    { send: push, sendBacklog: (backlog) => backlog.forEach(push), close: () => {} },
    identity,
    Number.MAX_SAFE_INTEGER,
    settings,
  );
  const events = () => frames.filter((f) => f.type === 'ev').map((f) => f.seq!);
  return { session, frames, events };
}

describe('Relay: events from every node, in log order, exactly once (SCALE-2)', () => {
  it('SCALE-2: events that arrive repeated, out of order or past a gap are delivered once each, in log order', async () => {
    const { a, memory, link, perform, head } = twoNodes();
    await a.start();
    const { sid } = perform('owner', 'conversations.create', {});
    perform('owner', 'participants.add', { sid, identity: 'alice' });
    const alice = connect(a, 'alice');
    alice.session.receive(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION }));
    await settle(() => alice.session.isLive);

    const first = head();
    link.dropping = true;
    for (let i = 0; i < 5; i += 1) perform('owner', 'messages.send', { sid, body: `m${i}`, idempotencyKey: `k${i}` });
    const logged = runSync(memory.read((tx) => tx.eventsAfter(first, 10)))!;
    // Only the last event and a repeat of it and of the third reach node A; the rest is read back.
    a.relay.ingest([logged[4]!, logged[2]!]);
    a.relay.ingest([logged[4]!, logged[2]!]);
    await settle(() => a.relay.position === head());
    expect(alice.events()).toEqual([first + 1, first + 2, first + 3, first + 4, first + 5]);
  });

  it('SCALE-2: a handshake on a networked store merges what other nodes commit during its read, following the membership', async () => {
    const { a, memory, slow, perform, head } = twoNodes();
    await a.start();
    const x = perform('owner', 'conversations.create', {}).sid;
    const y = perform('owner', 'conversations.create', {}).sid;
    perform('owner', 'participants.add', { sid: x, identity: 'alice' });
    perform('owner', 'messages.send', { sid: x, body: 'before', idempotencyKey: 'm1' });
    const lastSeq = head();

    slow.holding = true;
    const alice = connect(a, 'alice');
    alice.session.receive(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, lastSeq }));
    await settle(() => slow.pending === 1); // alice's row
    slow.releaseOne();
    await settle(() => slow.pending === 1); // the read: its snapshot is taken, its answer is late
    const snapshot = head();
    perform('owner', 'messages.send', { sid: x, body: 'during, in x', idempotencyKey: 'm2' });
    perform('owner', 'participants.add', { sid: y, identity: 'alice' });
    perform('owner', 'messages.send', { sid: y, body: 'during, in y', idempotencyKey: 'm3' });
    perform('owner', 'participants.remove', { sid: x, identity: 'alice' });
    perform('owner', 'messages.send', { sid: x, body: 'after alice left x', idempotencyKey: 'm4' });
    slow.releaseAll();
    await settle(() => alice.session.isLive && alice.frames.some((f) => f.type === 'welcome'));
    await settle(() => alice.events().length >= 5);

    expect(alice.frames.find((f) => f.type === 'welcome')).toMatchObject({ resume: 'resumed', headSeq: snapshot });
    // Everything after the snapshot that alice may see, once each (her view of the log is the oracle),
    // and nothing of x after she left it.
    const view = () => runSync(memory.read((tx) => tx.eventsFor('alice', lastSeq)))!.map((e) => e.seq);
    expect(alice.events()).toEqual(view());
    expect(alice.frames.filter((f) => f.type === 'ev').map((f) => f.kind)).toEqual([
      'messageAdded', 'conversationAdded', 'participantJoined', 'messageAdded', 'conversationRemoved',
    ]);

    perform('owner', 'messages.send', { sid: y, body: 'live in y', idempotencyKey: 'k1' });
    perform('owner', 'messages.send', { sid: x, body: 'live in x', idempotencyKey: 'k2' });
    expect(alice.events()).toEqual(view());
    expect(alice.events().at(-1)).toBe(head() - 1);
  });

  it('SCALE-2: events the handshake replayed are not sent again when the relay catches up on them later', async () => {
    const { a, link, perform, head } = twoNodes();
    await a.start();
    const { sid } = perform('owner', 'conversations.create', {});
    perform('owner', 'participants.add', { sid, identity: 'alice' });
    const lastSeq = head();
    link.dropping = true; // node A hears nothing of these: its relay stays behind
    perform('owner', 'messages.send', { sid, body: 'one', idempotencyKey: 'm7' });
    perform('owner', 'messages.send', { sid, body: 'two', idempotencyKey: 'm8' });

    const alice = connect(a, 'alice');
    alice.session.receive(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, lastSeq }));
    await settle(() => alice.session.isLive);
    expect(alice.events()).toEqual([lastSeq + 1, lastSeq + 2]); // the replay
    expect(a.relay.position).toBeLessThan(head());

    perform('owner', 'messages.send', { sid, body: 'three', idempotencyKey: 'm9' });
    await a.relay.poll();
    expect(alice.events()).toEqual([lastSeq + 1, lastSeq + 2, lastSeq + 3]);
  });
});
