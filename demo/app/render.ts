import type { Conversation, MessageView, Participant, SentMessage } from '@rx-conversations/client';

/** Small `document.createElement` with attributes and children. */
export function h(tag: string, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A conversation's display name. */
export function conversationName(conversation: Pick<Conversation, 'sid' | 'friendlyName' | 'uniqueName'>): string {
  return conversation.friendlyName ?? conversation.uniqueName ?? conversation.sid;
}

/** The list of conversations, most recent activity first (the order of `conversations$`), with unread counts. */
export function renderConversations(
  list: HTMLElement,
  conversations: readonly Conversation[],
  openSid: string | null,
  open: (sid: string) => void,
): void {
  list.replaceChildren(
    ...conversations.map((conversation) => {
      const unread = conversation.membership?.unreadMessagesCount ?? 0;
      const button = h('button', { type: 'button' }, h('span', { 'data-testid': 'conversation-name' }, conversationName(conversation)));
      if (unread > 0) button.append(h('span', { class: 'unread', 'data-testid': 'unread-count' }, String(unread)));
      button.addEventListener('click', () => open(conversation.sid));
      return h('li', { 'data-testid': 'conversation-item', 'data-sid': conversation.sid, 'aria-current': String(conversation.sid === openSid) }, button);
    }),
  );
}

/** What a sent message can be acted on with in the page (PARITY-3). */
export interface MessageActions {
  /** Adds or takes back this user's reaction. */
  react(message: SentMessage, emoji: string, mine: boolean): void;
  /** Makes the next message a reply to this one. */
  reply(message: SentMessage): void;
}

/** The reactions offered on every message. */
const QUICK_REACTIONS = ['👍', '❤️', '😂'];

/** "12:04", in the viewer's time zone. */
export function timeOf(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Who has read each of my messages: the other participants whose read horizon reached it (PARITY-3,
 * what `readBy$(index)` gives per message), shown under the newest one each reader reached.
 */
export function receiptsOf(messages: readonly MessageView[], participants: readonly Participant[], me: string): Map<number, string[]> {
  const receipts = new Map<number, string[]>();
  const mine = messages.filter((m): m is SentMessage => m.status === 'sent' && m.author === me).map((m) => m.index);
  for (const p of participants) {
    if (p.identity === me || p.lastReadMessageIndex === null) continue;
    const reached = mine.filter((index) => index <= p.lastReadMessageIndex!).at(-1);
    if (reached !== undefined) receipts.set(reached, [...(receipts.get(reached) ?? []), p.identity]);
  }
  return receipts;
}

/** The message window, keeping the view pinned to the bottom when it was there; `attachments` shows a message's files. */
export function renderMessages(
  list: HTMLElement,
  messages: readonly MessageView[],
  me: string,
  onError: (err: unknown) => void,
  attachments: (message: MessageView) => HTMLElement[] = () => [],
  actions?: MessageActions,
  receipts: ReadonlyMap<number, readonly string[]> = new Map(),
): void {
  const pinned = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const byIndex = new Map(messages.filter((m): m is SentMessage => m.status === 'sent').map((m) => [m.index, m]));
  list.replaceChildren(
    ...messages.map((message) => {
      const item = h(
        'li',
        {
          class: message.author === me ? 'message mine' : 'message',
          'data-testid': 'message',
          'data-author': message.author,
          'data-status': message.status,
          'data-key': message.key,
          'data-index': message.index === null ? '' : String(message.index),
        },
        h('span', { class: 'author' }, message.author),
        h('span', { class: 'body', 'data-testid': 'message-body' }, message.body ?? ''),
        ...attachments(message),
      );
      if (message.status === 'sent' && message.replyTo !== undefined) {
        const parent = byIndex.get(message.replyTo);
        item.prepend(h('div', { class: 'quote', 'data-testid': 'reply-to' }, `↪ ${parent === undefined ? `#${message.replyTo}` : `${parent.author}: ${parent.body ?? ''}`}`));
      }
      item.append(h('time', { class: 'time', 'data-testid': 'message-time' }, timeOf(message.createdAt)));
      if (message.status === 'sent') {
        item.append(h('span', { class: 'status', 'data-testid': 'message-status' }, '✓'));
        if (actions !== undefined) item.append(reactionBar(message, actions));
        const seen = receipts.get(message.index);
        if (seen !== undefined) item.append(h('div', { class: 'seen', 'data-testid': 'seen-by' }, `Seen by ${seen.join(', ')}`));
      }
      if (message.status === 'sending') item.append(h('span', { class: 'status' }, 'sending…'));
      if (message.status === 'failed') {
        const retry = h('button', { type: 'button', class: 'status' }, 'failed: retry');
        retry.title = message.error.message;
        retry.addEventListener('click', () => message.retry().catch(onError));
        item.append(retry);
      }
      return item;
    }),
  );
  if (pinned) list.scrollTop = list.scrollHeight;
}

/** A message's reactions (count, and whether I am among them) and the buttons to react or reply. */
function reactionBar(message: SentMessage, actions: MessageActions): HTMLElement {
  const bar = h('div', { class: 'reactions' });
  const shown = new Map((message.reactions ?? []).map((r) => [r.emoji, r]));
  for (const emoji of new Set([...shown.keys(), ...QUICK_REACTIONS])) {
    const r = shown.get(emoji);
    const button = h(
      'button',
      { type: 'button', class: r?.reactedByMe === true ? 'reaction mine' : 'reaction', 'data-testid': 'reaction', 'data-emoji': emoji, 'data-count': String(r?.count ?? 0) },
      r === undefined ? emoji : `${emoji} ${r.count}`,
    );
    if (r !== undefined) button.title = r.identities.join(', ') + (r.count > r.identities.length ? ` and ${r.count - r.identities.length} more` : '');
    button.addEventListener('click', () => actions.react(message, emoji, r?.reactedByMe === true));
    bar.append(button);
  }
  const reply = h('button', { type: 'button', class: 'reaction', 'data-testid': 'reply' }, 'Reply');
  reply.addEventListener('click', () => actions.reply(message));
  bar.append(reply);
  return bar;
}

/** "alice is typing…", "alice and bob are typing…". */
export function typingText(identities: readonly string[]): string {
  if (identities.length === 0) return '';
  if (identities.length === 1) return `${identities[0]} is typing…`;
  return `${identities.slice(0, -1).join(', ')} and ${identities.at(-1)} are typing…`;
}
