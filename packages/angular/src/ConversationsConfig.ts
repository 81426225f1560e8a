import type { ConversationsClientOptions } from '@rx-conversations/client';

/**
 * What `provideConversations()` needs to create a client for each signed-in user: the client's own
 * options, with `tokenProvider` required. The service calls it for the first token of each session
 * (unless `signIn(token)` is given one), and the client calls it to renew the token before it expires.
 *
 * @example
 * const config: ConversationsConfig = {
 *   url: 'wss://chat.example.com',
 *   tokenProvider: () => fetch('/chat-token').then((response) => response.text()),
 * };
 */
export interface ConversationsConfig extends ConversationsClientOptions {
  readonly tokenProvider: () => Promise<string>;
}
