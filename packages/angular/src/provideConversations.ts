import { makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import type { ConversationsConfig } from './ConversationsConfig.js';
import { ConversationsService } from './ConversationsService.js';

/**
 * Provides {@link ConversationsService} (and so `injectConversations()` and `injectConversation()`) to
 * an application or a route. Pass the config, or a function that returns it: the function runs in an
 * injection context, so it can `inject()` the app's auth service for the `tokenProvider`.
 * Nothing connects until `signIn()`.
 *
 * @example
 * bootstrapApplication(AppComponent, {
 *   providers: [
 *     provideZonelessChangeDetection(),
 *     provideConversations(() => {
 *       const auth = inject(AuthService);
 *       return { url: 'wss://chat.example.com', tokenProvider: () => auth.chatToken() };
 *     }),
 *   ],
 * });
 */
export function provideConversations(config: ConversationsConfig | (() => ConversationsConfig)): EnvironmentProviders {
  return makeEnvironmentProviders([
    // A factory, not a decorated class: `inject()` in the constructor runs in this injection context.
    { provide: ConversationsService, useFactory: () => new ConversationsService(typeof config === 'function' ? config() : config) },
  ]);
}
