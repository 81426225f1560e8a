import type { Conversation, MessageView } from '@rx-conversations/client';

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

/** The message window, keeping the view pinned to the bottom when it was there; `attachments` shows a message's files. */
export function renderMessages(
  list: HTMLElement,
  messages: readonly MessageView[],
  me: string,
  onError: (err: unknown) => void,
  attachments: (message: MessageView) => HTMLElement[] = () => [],
): void {
  const pinned = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
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

/** "alice is typing…", "alice and bob are typing…". */
export function typingText(identities: readonly string[]): string {
  if (identities.length === 0) return '';
  if (identities.length === 1) return `${identities[0]} is typing…`;
  return `${identities.slice(0, -1).join(', ')} and ${identities.at(-1)} are typing…`;
}
