import type { ConversationRow, MessageRow, ParticipantRow, UserRow } from './rows.js';

/** Twilio's post-event webhook names (ADMIN-3), the values a webhook's `Filters` lists. */
export const POST_EVENTS = [
  'onMessageAdded',
  'onMessageUpdated',
  'onMessageRemoved',
  'onConversationAdded',
  'onConversationUpdated',
  'onConversationRemoved',
  'onConversationStateUpdated',
  'onParticipantAdded',
  'onParticipantUpdated',
  'onParticipantRemoved',
  'onUserAdded',
  'onUserUpdated',
] as const;

/** A post-event webhook name. */
export type PostEvent = (typeof POST_EVENTS)[number];

/** Twilio's pre-event webhook names: an SDK action waits for the app's answer before it is written. */
export const PRE_EVENTS = [
  'onMessageAdd',
  'onMessageUpdate',
  'onMessageRemove',
  'onConversationAdd',
  'onConversationUpdate',
  'onConversationRemove',
  'onParticipantAdd',
  'onParticipantUpdate',
  'onParticipantRemove',
  'onUserUpdate',
] as const;

/** A pre-event webhook name. */
export type PreEvent = (typeof PRE_EVENTS)[number];

/** Who caused a write, as webhooks tell it: `Source` and, for SDK actions, `ClientIdentity`. */
export interface WriteOrigin {
  readonly source: 'SDK' | 'API';
  /** Whether this write fires post-event webhooks: always for SDK writes, on request for REST ones. */
  readonly webhooks: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Webhook fields of a conversation (Twilio's names). */
export function conversationFields(row: ConversationRow): Record<string, string> {
  return {
    ConversationSid: row.sid,
    FriendlyName: row.friendly_name ?? '',
    UniqueName: row.unique_name ?? '',
    Attributes: row.attributes,
    State: row.state,
    DateCreated: iso(row.created_at),
    DateUpdated: iso(row.updated_at),
  };
}

/** Webhook fields of a message; `ParticipantSid` is the author's, empty for `system`. */
export function messageFields(row: MessageRow, participantSid: string | null): Record<string, string> {
  return {
    ConversationSid: row.conversation_sid,
    MessageSid: row.sid,
    Index: String(row.idx),
    Body: row.body ?? '',
    Author: row.author,
    ParticipantSid: participantSid ?? '',
    Attributes: row.attributes,
    DateCreated: iso(row.created_at),
    DateUpdated: iso(row.updated_at),
  };
}

/** Webhook fields of a participant. */
export function participantFields(row: ParticipantRow): Record<string, string> {
  return {
    ConversationSid: row.conversation_sid,
    ParticipantSid: row.sid,
    Identity: row.identity,
    RoleSid: row.role,
    Attributes: row.attributes,
    LastReadMessageIndex: row.last_read_message_index === null ? '' : String(row.last_read_message_index),
    DateCreated: iso(row.joined_at),
    DateUpdated: iso(row.updated_at),
  };
}

/** Webhook fields of a user. */
export function userFields(row: UserRow): Record<string, string> {
  return {
    UserSid: row.sid,
    Identity: row.identity,
    FriendlyName: row.friendly_name ?? '',
    Attributes: row.attributes,
    DateCreated: iso(row.created_at),
  };
}

/** `DateRemoved` for the `…Removed` events. */
export function removedAt(now: number): Record<string, string> {
  return { DateRemoved: iso(now) };
}
