import type { Message, MessagesPage } from '@rx-conversations/protocol';

/**
 * Which emoji this user reacted with on which messages (PARITY-3). A message's summaries are the same
 * for everyone (the server sends them once, whatever the audience), so "did I react" is kept here, from
 * what the server tells this user alone: `myReactions` beside each page read, and `reaction` in each
 * `messageUpdated`, noted before the store applies the event so that the new view already knows.
 * Only messages with one of this user's reactions take room, and at most {@link MY_REACTIONS_KEPT}: past
 * that the least recently noted go (a page read again brings them back).
 */
export class MyReactions {
  private readonly byMessage = new Map<string, readonly string[]>();

  constructor(private readonly kept = MY_REACTIONS_KEPT) {}

  /** The emoji this user reacted with on the message, if any. */
  of(message: Pick<Message, 'conversationSid' | 'index'>): readonly string[] | undefined {
    return this.byMessage.get(keyOf(message.conversationSid, message.index));
  }

  /** A reaction of this user came or went. */
  changed(conversationSid: string, index: number, emoji: string, added: boolean): void {
    const key = keyOf(conversationSid, index);
    const before = this.byMessage.get(key) ?? [];
    const after = added ? (before.includes(emoji) ? before : [...before, emoji]) : before.filter((e) => e !== emoji);
    this.put(key, after);
  }

  /** A page read from the server says which of its messages this user reacted to. */
  fromPage(conversationSid: string, page: MessagesPage): void {
    for (const message of page.items) {
      this.put(keyOf(conversationSid, message.index), page.myReactions?.[message.index] ?? []);
    }
  }

  private put(key: string, mine: readonly string[]): void {
    // Deleted first, so that a set moves the entry to the newest end of the map's order.
    this.byMessage.delete(key);
    if (mine.length === 0) return;
    this.byMessage.set(key, mine);
    if (this.byMessage.size > this.kept) this.byMessage.delete(this.byMessage.keys().next().value!);
  }

  clear(): void {
    this.byMessage.clear();
  }
}

const keyOf = (conversationSid: string, index: number): string => `${conversationSid}#${index}`;

/** How many messages' reactions of this user are remembered at most. */
export const MY_REACTIONS_KEPT = 10_000;
