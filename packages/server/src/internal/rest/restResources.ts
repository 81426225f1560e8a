import type { Media } from '@rx-conversations/protocol';
import type { ConversationRow, MessageRow, ParticipantRow } from '@rx-conversations/server-core';

/** Where a resource lives: the public base URL and the ids every Twilio resource repeats. */
export interface ResourceScope {
  /** `http(s)://host[:port]` as the caller reached us. */
  readonly base: string;
  readonly accountSid: string;
  readonly serviceSid: string;
}

/**
 * The role sids a participant shows (`role_sid`): our two conversation roles, fixed per server until
 * roles become resources of their own (ADMIN-4).
 */
export const CONVERSATION_ROLE_SIDS = {
  admin: 'RL00000000000000000000000000000002',
  member: 'RL00000000000000000000000000000001',
} as const;

/** The role a `RoleSid` names, or undefined for a sid that is not a conversation role. */
export function roleOfSid(sid: string): ParticipantRow['role'] | undefined {
  if (sid === CONVERSATION_ROLE_SIDS.admin) return 'admin';
  if (sid === CONVERSATION_ROLE_SIDS.member) return 'member';
  return undefined;
}

/** Twilio's date format: ISO 8601 in UTC, to the second. */
export function twilioDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function conversationsUrl(scope: ResourceScope): string {
  return `${scope.base}/v1/Conversations`;
}

/** A conversation as Twilio's Conversation resource. */
export function conversationResource(scope: ResourceScope, row: ConversationRow): Record<string, unknown> {
  const url = `${conversationsUrl(scope)}/${row.sid}`;
  return {
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    messaging_service_sid: null,
    sid: row.sid,
    friendly_name: row.friendly_name,
    unique_name: row.unique_name,
    attributes: row.attributes,
    state: 'active',
    date_created: twilioDate(row.created_at),
    date_updated: twilioDate(row.updated_at),
    timers: {},
    bindings: null,
    created_by: row.created_by,
    url,
    links: { participants: `${url}/Participants`, messages: `${url}/Messages`, webhooks: `${url}/Webhooks` },
  };
}

/** A participant as Twilio's Participant resource (chat participants: no messaging binding). */
export function participantResource(scope: ResourceScope, row: ParticipantRow): Record<string, unknown> {
  return {
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    conversation_sid: row.conversation_sid,
    sid: row.sid,
    identity: row.identity,
    attributes: row.attributes,
    messaging_binding: null,
    role_sid: CONVERSATION_ROLE_SIDS[row.role],
    date_created: twilioDate(row.joined_at),
    date_updated: twilioDate(row.updated_at),
    last_read_message_index: row.last_read_message_index,
    last_read_timestamp: row.last_read_at === null ? null : twilioDate(row.last_read_at),
    url: `${conversationsUrl(scope)}/${row.conversation_sid}/Participants/${row.sid}`,
  };
}

/** A message as Twilio's Message resource; `participant_sid` is the author's, null for `system`. */
export function messageResource(scope: ResourceScope, row: MessageRow, participantSid: string | null): Record<string, unknown> {
  const url = `${conversationsUrl(scope)}/${row.conversation_sid}/Messages/${row.sid}`;
  return {
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    conversation_sid: row.conversation_sid,
    sid: row.sid,
    index: row.idx,
    author: row.author,
    body: row.body,
    // Twilio's shape for media messages; null on a message without media, as there.
    media:
      row.media === null
        ? null
        : (JSON.parse(row.media) as Media[]).map((m) => ({ sid: m.sid, size: m.size, content_type: m.contentType, filename: m.filename, category: 'media' })),
    attributes: row.attributes,
    participant_sid: participantSid,
    date_created: twilioDate(row.created_at),
    date_updated: twilioDate(row.updated_at),
    delivery: null,
    content_sid: null,
    url,
    links: { delivery_receipts: `${url}/Receipts`, channel_metadata: `${url}/ChannelMetadata` },
  };
}
