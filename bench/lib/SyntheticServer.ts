import type { ClientFrame, Conversation, OpName } from '@rx-conversations/protocol';
import { READER, conversation, message, user } from './fixtures.js';

/**
 * The synthetic world of the client-side figures (PERF-2/3): `conversations` conversations of which
 * the first holds `history` messages, all seen by {@link READER}. Answers the protocol's reads the way
 * the real server would for that world; writes get `null` (the benches do not write).
 */
export class SyntheticServer {
  readonly conversations: Conversation[];

  constructor(
    conversations: number,
    readonly history: number,
  ) {
    this.conversations = Array.from({ length: conversations }, (_, n) => conversation(n, n === 0 ? history : 0));
  }

  /** The `welcome` for a fresh session with log head `headSeq`. */
  welcome(headSeq: number): string {
    return JSON.stringify({
      type: 'welcome',
      v: 1,
      identity: READER,
      connectionId: 'CN0',
      user: user(READER),
      headSeq,
      resume: 'fresh',
      tokenExpiresAt: Date.now() + 3_600_000,
      heartbeatIntervalMs: 4000,
      serverTime: Date.now(),
    });
  }

  /** The reply to one client frame (null when none is due). */
  reply(frame: ClientFrame, headSeq: number): string | null {
    if (frame.type === 'ping') return JSON.stringify({ type: 'pong', serverTime: Date.now() });
    if (frame.type !== 'req') return null;
    const result = this.answer(frame.op, frame.args as Record<string, unknown>, headSeq);
    return JSON.stringify({ type: 'res', id: frame.id, ok: true, result });
  }

  private answer(op: OpName, args: Record<string, unknown>, asOfSeq: number): unknown {
    const all = this.conversations;
    switch (op) {
      case 'conversations.list': {
        const pageSize = Number(args.pageSize ?? 50);
        const start = Number(args.cursor ?? 0);
        const end = Math.min(all.length, start + pageSize);
        return { items: all.slice(start, end), nextCursor: end < all.length ? String(end) : null, asOfSeq };
      }
      case 'conversations.get':
      case 'conversations.peek':
        return all.find((c) => c.sid === args.sid) ?? all[0];
      case 'conversations.counts':
        return { messagesCount: args.sid === all[0]!.sid ? this.history : 0, participantsCount: 2, unreadMessagesCount: 0 };
      case 'messages.list': {
        const n = all.findIndex((c) => c.sid === args.sid);
        const count = n === 0 ? this.history : 0;
        const pageSize = Number(args.pageSize ?? 30);
        const forwards = args.direction === 'forwards';
        let from: number;
        let to: number; // exclusive
        if (forwards) {
          from = args.anchor === undefined ? 0 : Number(args.anchor) + 1;
          to = Math.min(count, from + pageSize);
        } else {
          to = args.anchor === undefined ? count : Math.min(count, Number(args.anchor));
          from = Math.max(0, to - pageSize);
        }
        const items = [];
        for (let i = from; i < to; i++) items.push(message(n, i));
        return { items, hasMore: forwards ? to < count : from > 0, asOfSeq };
      }
      case 'participants.list':
        return { items: [], asOfSeq };
      case 'users.get':
        return user(String(args.identity));
      case 'users.subscribe':
        return { items: [] };
      default:
        return null;
    }
  }
}
