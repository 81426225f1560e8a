import type { Message, MessagesPage } from '@rx-conversations/protocol';

/**
 * Which emoji this user reacted with on which messages (PARITY-3). A message's summaries are the same
 * for everyone (the server sends them once, whatever the audience), so "did I react" is kept here, from
 * what the server tells this user alone: `myReactions` beside each page read, and `reaction` in each
 * `messageUpdated`, noted before the store applies the event so that the new view already knows.
 * Only messages with one of this user's reactions take room.
 */
export class MyReactions {
  private readonly byMessage = new Map<string, readonly string[]>();

  /** The emoji this user reacted with on the message, if any. */
  of(message: Pick<Message, 'conversationSid' | 'index'>): readonly string[] | undefined {
    return this.byMessage.get(keyOf(message.conversationSid, message.index));
  }

  /** A reaction of this user came or went. */
  changed(conversationSid: string, index: number, emoji: string, added: boolean): void {
    const key = keyOf(conversationSid, index);
    const before = this.byMessage.get(key) ?? [];
    const after = added ? (before.includes(emoji) ? before : [...before, emoji]) : before.filter((e) => e !== emoji);
    if (after.length === 0) this.byMessage.delete(key);
    else this.byMessage.set(key, after);
  }

  /** A page read from the server says which of its messages this user reacted to. */
  fromPage(conversationSid: string, page: MessagesPage): void {
    for (const message of page.items) {
      const mine = page.myReactions?.[message.index];
      if (mine === undefined || mine.length === 0) this.byMessage.delete(keyOf(conversationSid, message.index));
      else this.byMessage.set(keyOf(conversationSid, message.index), mine);
    }
  }

  clear(): void {
    this.byMessage.clear();
  }
}

const keyOf = (conversationSid: string, index: number): string => `${conversationSid}#${index}`;
