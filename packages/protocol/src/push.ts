import type { JsonValue } from './entities.js';

/**
 * The payload the server hands a push sender for a user with no live connection, and that apps pass
 * back to `client.handlePushNotification()` / `ConversationsClient.parsePushNotification()`.
 * Keys are flat strings-or-numbers so it fits FCM `data` and APNs custom keys unchanged.
 */
export interface PushPayload {
  readonly rxc: 1;
  readonly kind: 'newMessage' | 'addedToConversation' | 'removedFromConversation';
  readonly conversationSid: string;
  readonly conversationTitle: string | null;
  readonly messageSid?: string;
  readonly messageIndex?: number;
  readonly author?: string;
  /** The message body, cut to at most 256 characters. */
  readonly body?: string | null;
  readonly attributes?: JsonValue;
}

/** What a push sender receives: one payload for one registration. */
export interface PushDelivery {
  readonly identity: string;
  readonly type: 'fcm' | 'apn';
  readonly token: string;
  readonly payload: PushPayload;
}
