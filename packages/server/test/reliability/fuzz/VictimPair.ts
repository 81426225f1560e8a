// Two users who keep conversing while an attacker does its worst: their exchange must complete with
// contiguous indexes, each acknowledged message delivered once to both, and nothing else in their logs.
import { StreamPositions, type MessagesPage } from '@rx-conversations/protocol';
import type { TestClient } from '../../helpers/TestClient.js';

export class VictimPair {
  /** Acknowledged sends: index → body. */
  readonly acknowledged = new Map<number, string>();
  /** Why the exchange broke, if it did (checked after every fuzz script). */
  failure: Error | undefined;
  private running = false;
  private sent = 0;
  // What each side has been checked to have received so far (frames are checked, then dropped, so a
  // long soak neither slows down nor grows).
  private readonly checked = new Map<TestClient, { lastSeq: number; streams: StreamPositions; nextIndex: number; count: number }>();

  constructor(
    readonly a: TestClient,
    readonly b: TestClient,
    readonly sid: string,
    readonly friendlyName: string,
  ) {}

  /** Sets up the victims' conversation (a creates it, adds b). */
  static async create(a: TestClient, b: TestClient, uniqueName: string): Promise<VictimPair> {
    const friendlyName = 'victims only';
    const { sid } = await a.request('conversations.create', { friendlyName, uniqueName });
    await a.request('participants.add', { sid, identity: b.welcome.identity });
    return new VictimPair(a, b, sid, friendlyName);
  }

  /** Alternating sends until `stop()`; each waits for the other side to see the message. Never rejects. */
  async converse(): Promise<void> {
    this.running = true;
    try {
      while (this.running) {
        const from = this.sent % 2 === 0 ? this.a : this.b;
        const to = from === this.a ? this.b : this.a;
        const body = `victim message ${this.sent}`;
        const message = await from.request('messages.send', { sid: this.sid, body, idempotencyKey: `victim-${this.sid}-${this.sent}` });
        this.acknowledged.set(message.index, body);
        await to.waitForEvent('messageAdded', (e) => e.data.message.conversationSid === this.sid && e.data.message.index === message.index, 10_000);
        this.sent += 1;
        if (this.sent % 200 === 0) this.checkDelivered();
      }
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.running = false;
    }
  }

  /**
   * Checks what each side received since the last check — seqs increasing, streams without a gap, only messageAdded of this
   * conversation with the next indexes, each once — then drops those frames.
   */
  private checkDelivered(): void {
    for (const side of [this.a, this.b]) {
      const state = this.checked.get(side) ?? { lastSeq: side.welcome.headSeq, streams: new StreamPositions(), nextIndex: 0, count: 0 };
      const name = side.welcome.identity;
      for (const frame of side.frames) {
        if (frame.type !== 'ev') continue;
        if (frame.seq <= state.lastSeq) throw new Error(`${name}'s seq went from ${state.lastSeq} back to ${frame.seq}`);
        if (!state.streams.accept(frame)) throw new Error(`${name}'s event at ${frame.seq} skipped one of its stream (prev ${frame.prev})`);
        state.lastSeq = frame.seq;
        if (frame.kind === 'conversationAdded' || frame.kind === 'participantJoined') continue;
        const message = frame.kind === 'messageAdded' ? (frame.data as { message: { index: number; conversationSid: string } }).message : undefined;
        if (message === undefined || message.conversationSid !== this.sid) throw new Error(`${name} received an unexpected event: ${JSON.stringify(frame).slice(0, 400)}`);
        if (message.index !== state.nextIndex) throw new Error(`${name} received index ${message.index}, expected ${state.nextIndex}`);
        state.nextIndex += 1;
        state.count += 1;
      }
      side.frames.length = 0;
      this.checked.set(side, state);
    }
  }

  stop(): void {
    this.running = false;
  }

  /** Messages exchanged so far. */
  get exchanged(): number {
    return this.acknowledged.size;
  }

  /** Throws unless the victims' conversation and logs are exactly what they did, nothing more. */
  async verify(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const n = this.acknowledged.size;
    if (n === 0) throw new Error('the victims exchanged nothing');
    const expectedIndexes = Array.from({ length: n }, (_, i) => i);
    const acked = [...this.acknowledged.keys()].sort((x, y) => x - y);
    if (JSON.stringify(acked) !== JSON.stringify(expectedIndexes)) throw new Error(`victim indexes are not 0..${n - 1}: ${JSON.stringify(acked).slice(0, 200)}`);
    // Stored: every acknowledged message, in order, with its body, nothing else.
    const stored: { index: number; body: string | null; author: string }[] = [];
    let anchor: number | undefined;
    for (;;) {
      const page: MessagesPage = await this.a.request('messages.list', { sid: this.sid, pageSize: 100, direction: 'forwards', ...(anchor === undefined ? {} : { anchor }) });
      stored.push(...page.items.map((m) => ({ index: m.index, body: m.body, author: m.author })));
      if (!page.hasMore) break;
      anchor = page.items[page.items.length - 1]!.index;
    }
    const want = expectedIndexes.map((index) => ({ index, body: this.acknowledged.get(index)!, author: index % 2 === 0 ? this.a.welcome.identity : this.b.welcome.identity }));
    if (JSON.stringify(stored) !== JSON.stringify(want)) throw new Error(`victims' stored messages differ from what they sent (${stored.length} stored, ${n} sent)`);
    // Delivered: each side saw each message exactly once, in index order, with no gap in its streams.
    this.checkDelivered();
    for (const side of [this.a, this.b]) {
      const delivered = this.checked.get(side)!.count;
      if (delivered !== n) throw new Error(`${side.welcome.identity} received ${delivered} messages, ${n} were sent`);
    }
    // The roster and the conversation are untouched.
    const roster = (await this.b.request('participants.list', { sid: this.sid })).items.map((p) => `${p.identity}:${p.role}`).sort();
    const wantRoster = [`${this.a.welcome.identity}:admin`, `${this.b.welcome.identity}:member`].sort();
    if (JSON.stringify(roster) !== JSON.stringify(wantRoster)) throw new Error(`victims' roster changed: ${JSON.stringify(roster)}`);
    const conversation = await this.b.request('conversations.get', { sid: this.sid });
    if (conversation.friendlyName !== this.friendlyName || conversation.messagesCount !== n) throw new Error('victims\' conversation changed');
  }
}
