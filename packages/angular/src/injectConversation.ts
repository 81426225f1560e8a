import { computed, inject, Injector, untracked, type Signal } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import {
  ConversationsError,
  type Conversation,
  type ConversationHandle,
  type MessagesWindowState,
  type MessageView,
  type Participant,
} from '@rx-conversations/client';
import { of, startWith, switchMap, type Observable } from 'rxjs';
import { ConversationsService } from './ConversationsService.js';

/**
 * One conversation of the signed-in user as signals, plus its most used commands (NG-1). Each signal
 * follows the handle's observable of the same name (see `ConversationHandle`), and is subscribed on
 * its first read, so a view that never reads `participants` or a counter never fetches them.
 *
 * @example
 * const conversation: ConversationSignals = injectConversation(sid);
 * const unread = computed(() => conversation.state()?.membership?.unreadMessagesCount ?? 0);
 * await conversation.sendMessage('hello'); // in `messages()` at once as 'sending', then 'sent'
 */
export interface ConversationSignals {
  /** The handle for the current sid and client, for the commands not listed here; null while signed out. */
  readonly handle: Signal<ConversationHandle | null>;
  /** The conversation with the user's membership; null while signed out or not subscribed. */
  readonly state: Signal<Conversation | null>;
  /** The loaded window of messages, then the optimistic sends. Track rows by `key`. */
  readonly messages: Signal<readonly MessageView[]>;
  /** Whether older messages exist before the window, and whether it is detached from the live end. */
  readonly messagesWindow: Signal<MessagesWindowState>;
  /** The roster, fetched on first read. */
  readonly participants: Signal<readonly Participant[]>;
  /** Identities typing now, sorted. */
  readonly typing: Signal<readonly string[]>;
  /** TTL-cached server counters (STORE-8); null until read. */
  readonly messagesCount: Signal<number | null>;
  readonly participantsCount: Signal<number | null>;
  readonly unreadMessagesCount: Signal<number | null>;
  /** The current handle's commands; they reject with `client_shut_down` while signed out. */
  readonly sendMessage: ConversationHandle['sendMessage'];
  readonly loadOlder: ConversationHandle['loadOlder'];
  readonly loadNewer: ConversationHandle['loadNewer'];
  readonly updateMessage: ConversationHandle['updateMessage'];
  readonly removeMessage: ConversationHandle['removeMessage'];
  readonly advanceLastReadMessageIndex: ConversationHandle['advanceLastReadMessageIndex'];
  readonly setAllMessagesRead: ConversationHandle['setAllMessagesRead'];
  /** The handle's `typing()`: tells the others the user is typing (throttled by the client). */
  readonly notifyTyping: ConversationHandle['typing'];
}

const NONE: readonly never[] = Object.freeze([]);
const NO_WINDOW: MessagesWindowState = Object.freeze({ hasOlder: null, hasNewer: false });

/**
 * Signals of one conversation, by sid or by a signal of sids (an `input()`, a route param through
 * `toSignal`). When the sid or the signed-in user changes, the previous conversation's subscriptions
 * are dropped and the new one's made, and every signal starts from its empty value, never showing the
 * previous conversation's data. Everything is released through the injection context's `DestroyRef`.
 * Call it in an injection context, or pass `{ injector }`.
 *
 * Like the client, it fetches no history by itself: call `loadOlder()` for the newest page.
 *
 * @example
 * \@Component({
 *   selector: 'app-conversation',
 *   changeDetection: ChangeDetectionStrategy.OnPush,
 *   template: `
 *     @for (m of conversation.messages(); track m.key) { <p>{{ m.author }}: {{ m.body }}</p> }
 *     <input #box (keyup.enter)="conversation.sendMessage(box.value); box.value = ''" />
 *   `,
 * })
 * export class ConversationComponent {
 *   readonly sid = input.required<string>();
 *   protected readonly conversation = injectConversation(this.sid);
 * }
 */
export function injectConversation(sid: string | Signal<string>, options: { readonly injector?: Injector } = {}): ConversationSignals {
  const injector = options.injector ?? inject(Injector);
  const { client } = injector.get(ConversationsService);
  const currentSid = typeof sid === 'string' ? () => sid : sid;
  // A computed handle is right at once after a change (for commands); the observables follow it
  // through one effect, before the view that reads them is checked.
  const handle = computed(() => client()?.conversation(currentSid()) ?? null);
  const handle$ = toObservable(handle, { injector });

  const lazy = <T>(pick: (handle: ConversationHandle) => Observable<T>, empty: T): (() => Signal<T>) => {
    let made: Signal<T> | undefined;
    const follow = handle$.pipe(switchMap((h) => (h === null ? of(empty) : pick(h).pipe(startWith(empty)))));
    // Created on first read, which may be inside a template: toSignal must not run in a reactive context.
    return () => (made ??= untracked(() => toSignal(follow, { initialValue: empty, injector })));
  };
  const state = lazy<Conversation | null>((h) => h.state$, null);
  const messages = lazy<readonly MessageView[]>((h) => h.messages$, NONE);
  const messagesWindow = lazy((h) => h.messagesWindow$, NO_WINDOW);
  const participants = lazy<readonly Participant[]>((h) => h.participants$, NONE);
  const typing = lazy<readonly string[]>((h) => h.typing$, NONE);
  const messagesCount = lazy<number | null>((h) => h.messagesCount$, null);
  const participantsCount = lazy<number | null>((h) => h.participantsCount$, null);
  const unreadMessagesCount = lazy<number | null>((h) => h.unreadMessagesCount$, null);

  const use = (): ConversationHandle => {
    const current = handle();
    if (current === null) throw new ConversationsError('client_shut_down', 'Not signed in: call signIn() first');
    return current;
  };
  return {
    handle,
    get state() { return state(); },
    get messages() { return messages(); },
    get messagesWindow() { return messagesWindow(); },
    get participants() { return participants(); },
    get typing() { return typing(); },
    get messagesCount() { return messagesCount(); },
    get participantsCount() { return participantsCount(); },
    get unreadMessagesCount() { return unreadMessagesCount(); },
    sendMessage: async (input) => use().sendMessage(input),
    loadOlder: async (pageSize) => use().loadOlder(pageSize),
    loadNewer: async (pageSize) => use().loadNewer(pageSize),
    updateMessage: async (index, changes) => use().updateMessage(index, changes),
    removeMessage: async (index) => use().removeMessage(index),
    advanceLastReadMessageIndex: async (index) => use().advanceLastReadMessageIndex(index),
    setAllMessagesRead: async () => use().setAllMessagesRead(),
    notifyTyping: async () => use().typing(),
  };
}
