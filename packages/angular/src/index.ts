// Public API of @rx-conversations/angular. Explicit names only.
export { provideConversations } from './provideConversations.js';
export type { ConversationsConfig } from './ConversationsConfig.js';
export { ConversationsService } from './ConversationsService.js';
export { injectConversations } from './injectConversations.js';
export { injectConversation } from './injectConversation.js';
export type { ConversationSignals } from './injectConversation.js';
