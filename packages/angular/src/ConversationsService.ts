import { DestroyRef, inject, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import {
  ConversationsClient,
  ConversationsError,
  type ConnectionState,
  type Conversation,
  type SynchronizationStatus,
  type User,
} from '@rx-conversations/client';
import { BehaviorSubject, of, switchMap, type Observable } from 'rxjs';
import type { ConversationsConfig } from './ConversationsConfig.js';

const NO_CONVERSATIONS: readonly Conversation[] = Object.freeze([]);

/**
 * Owns the client of the signed-in user (NG-1). `signIn()` creates a new `ConversationsClient`,
 * `signOut()` shuts it down, and so does destroying the injector that provided the service. A
 * shut-down client is never used again: each session gets a new one, and every signal below switches
 * to it, so nothing of one user's session shows in the next.
 *
 * Provide it with `provideConversations()`; inject it with `injectConversations()`.
 *
 * @example
 * const chat = injectConversations();
 * await chat.signIn();
 * chat.connectionState(); // 'connecting', then 'connected'
 * await chat.signOut();
 */
export class ConversationsService {
  /** The signed-in user's client, or null while signed out. Replays the current one. */
  readonly client$: Observable<ConversationsClient | null>;
  /** The signed-in user's client, or null while signed out. */
  readonly client: Signal<ConversationsClient | null>;
  /** The client's connection state (CONN-2); `'disconnected'` while signed out. */
  readonly connectionState: Signal<ConnectionState>;
  /** The client's synchronisation (CONN-6); null while signed out. */
  readonly synchronization: Signal<SynchronizationStatus | null>;
  /** The signed-in user's conversations, most recent activity first (STORE-2); empty while signed out. */
  readonly conversations: Signal<readonly Conversation[]>;
  /** The signed-in user's own profile (STORE-10); null while signed out or not loaded yet. */
  readonly user: Signal<User | null>;

  private readonly current = new BehaviorSubject<ConversationsClient | null>(null);
  /** Bumped by every sign-in and sign-out, so a sign-in overtaken by another does not install its client. */
  private session = 0;
  private destroyed = false;

  /** Use `provideConversations()`, which runs the constructor in its injection context (it injects `DestroyRef`). */
  constructor(private readonly config: ConversationsConfig) {
    this.client$ = this.current.asObservable();
    this.client = toSignal(this.current, { requireSync: true });
    const fromClient = <T>(pick: (client: ConversationsClient) => Observable<T>, signedOut: T): Signal<T> =>
      toSignal(this.current.pipe(switchMap((client) => (client === null ? of(signedOut) : pick(client)))), { requireSync: true });
    this.connectionState = fromClient((c) => c.connectionState$, 'disconnected');
    this.synchronization = fromClient<SynchronizationStatus | null>((c) => c.synchronization$, null);
    this.conversations = fromClient((c) => c.conversations$, NO_CONVERSATIONS);
    this.user = fromClient<User | null>((c) => c.user$, null);
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      void this.signOut();
    });
  }

  /**
   * Shuts down the current client, if any, and creates a new one for `token`, or for the token that
   * the config's `tokenProvider` returns. Resolves with the new client once it is created (it then
   * connects; watch `connectionState`). Rejects with `client_shut_down` when a `signOut()`, another
   * `signIn()` or the injector's destruction overtook it.
   */
  async signIn(token?: string): Promise<ConversationsClient> {
    if (this.destroyed) throw new ConversationsError('client_shut_down', 'The injector that provided ConversationsService was destroyed');
    const session = ++this.session;
    await this.shutDownCurrent();
    const first = token ?? (await this.config.tokenProvider());
    if (session !== this.session || this.destroyed) throw new ConversationsError('client_shut_down', 'Overtaken by a later sign-in or sign-out');
    const client = new ConversationsClient(first, this.config);
    this.current.next(client);
    return client;
  }

  /** Shuts the current client down; every signal shows the signed-out state at once. Idempotent. */
  signOut(): Promise<void> {
    this.session++;
    return this.shutDownCurrent();
  }

  private async shutDownCurrent(): Promise<void> {
    const client = this.current.value;
    if (client === null) return;
    this.current.next(null);
    await client.shutdown();
  }
}
