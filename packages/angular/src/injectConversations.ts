import { inject, type Injector } from '@angular/core';
import { ConversationsService } from './ConversationsService.js';

/**
 * The {@link ConversationsService} of the nearest `provideConversations()`: sign-in, sign-out, and the
 * signed-in user's connection state, conversations and profile as signals. Call it in an injection
 * context (a constructor or a field initialiser), or pass `{ injector }`.
 *
 * @example
 * \@Component({
 *   selector: 'app-inbox',
 *   template: `@for (c of chat.conversations(); track c.sid) { <p>{{ c.friendlyName }}</p> }`,
 * })
 * export class InboxComponent {
 *   protected readonly chat = injectConversations();
 * }
 */
export function injectConversations(options: { readonly injector?: Injector } = {}): ConversationsService {
  return options.injector === undefined ? inject(ConversationsService) : options.injector.get(ConversationsService);
}
