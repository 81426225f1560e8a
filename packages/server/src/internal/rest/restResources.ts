import type { Media } from '@rx-conversations/protocol';
import type { ConversationRow, MessageRow, ParticipantRow, Role, RoleDefaults, UserRow } from '@rx-conversations/server-core';

/** Where a resource lives: the public base URL and the ids every Twilio resource repeats. */
export interface ResourceScope {
  /** `http(s)://host[:port]` as the caller reached us. */
  readonly base: string;
  readonly accountSid: string;
  readonly serviceSid: string;
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
    state: row.state,
    date_created: twilioDate(row.created_at),
    date_updated: twilioDate(row.updated_at),
    timers: timersOf(row),
    bindings: null,
    created_by: row.created_by,
    url,
    links: { participants: `${url}/Participants`, messages: `${url}/Messages`, webhooks: `${url}/Webhooks` },
  };
}

/** Twilio's `timers`: when the running state timers run out. */
function timersOf(row: ConversationRow): Record<string, string> {
  return {
    ...(row.inactive_at === null ? {} : { date_inactive: twilioDate(row.inactive_at) }),
    ...(row.closed_at === null ? {} : { date_closed: twilioDate(row.closed_at) }),
  };
}

/** Twilio's `messaging_binding` of a non-chat participant (PARITY-2); null for chat participants. */
function bindingResource(row: ParticipantRow): Record<string, string | null> | null {
  if (row.binding === null) return null;
  const binding = JSON.parse(row.binding) as { address: string; proxyAddress: string | null; projectedAddress: string | null };
  return { type: row.type, address: binding.address, proxy_address: binding.proxyAddress, projected_address: binding.projectedAddress };
}

/** A participant as Twilio's Participant resource (chat participants: no messaging binding). */
export function participantResource(scope: ResourceScope, row: ParticipantRow): Record<string, unknown> {
  return {
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    conversation_sid: row.conversation_sid,
    sid: row.sid,
    // Twilio shows no identity for SMS, WhatsApp or email participants, only their binding.
    identity: row.type === 'chat' ? row.identity : null,
    attributes: row.attributes,
    messaging_binding: bindingResource(row),
    role_sid: row.role,
    date_created: twilioDate(row.joined_at),
    date_updated: twilioDate(row.updated_at),
    last_read_message_index: row.last_read_message_index,
    last_read_timestamp: row.last_read_at === null ? null : twilioDate(row.last_read_at),
    url: `${conversationsUrl(scope)}/${row.conversation_sid}/Participants/${row.sid}`,
  };
}

/** A message as Twilio's Message resource; `participant_sid` is the author's when sent, null for `system`. */
export function messageResource(scope: ResourceScope, row: MessageRow): Record<string, unknown> {
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
    participant_sid: row.participant_sid,
    date_created: twilioDate(row.created_at),
    date_updated: twilioDate(row.updated_at),
    delivery: null,
    content_sid: null,
    url,
    links: { delivery_receipts: `${url}/Receipts`, channel_metadata: `${url}/ChannelMetadata` },
  };
}

export function usersUrl(scope: ResourceScope): string {
  return `${scope.base}/v1/Users`;
}

/**
 * A user as Twilio's User resource. The server keeps no update time for users, so `date_updated` is
 * null; `role_sid` is the user's own service role, or the service's default (`serviceRoleSid`).
 */
export function userResource(scope: ResourceScope, row: UserRow, isOnline: boolean, isNotifiable: boolean, serviceRoleSid: string): Record<string, unknown> {
  const url = `${usersUrl(scope)}/${row.sid}`;
  return {
    sid: row.sid,
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    role_sid: row.role_sid ?? serviceRoleSid,
    identity: row.identity,
    friendly_name: row.friendly_name,
    attributes: row.attributes,
    is_online: isOnline,
    is_notifiable: isNotifiable,
    date_created: twilioDate(row.created_at),
    date_updated: null,
    url,
    links: { user_conversations: `${url}/Conversations` },
  };
}

/** One of a user's conversations as Twilio's UserConversation resource. */
export function userConversationResource(
  scope: ResourceScope,
  user: UserRow,
  conversation: ConversationRow,
  participant: ParticipantRow,
  unreadMessagesCount: number,
): Record<string, unknown> {
  const conversationUrl = `${conversationsUrl(scope)}/${conversation.sid}`;
  return {
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    conversation_sid: conversation.sid,
    unread_messages_count: unreadMessagesCount,
    last_read_message_index: participant.last_read_message_index,
    participant_sid: participant.sid,
    user_sid: user.sid,
    friendly_name: conversation.friendly_name,
    unique_name: conversation.unique_name,
    conversation_state: conversation.state,
    timers: timersOf(conversation),
    attributes: conversation.attributes,
    date_created: twilioDate(conversation.created_at),
    date_updated: twilioDate(conversation.updated_at),
    created_by: conversation.created_by,
    notification_level: participant.notification_level,
    url: `${usersUrl(scope)}/${user.sid}/Conversations/${conversation.sid}`,
    links: { participant: `${conversationUrl}/Participants/${participant.sid}`, conversation: conversationUrl },
  };
}

/** One membership as Twilio's ParticipantConversation resource (chat participants: no binding). */
export function participantConversationResource(
  scope: ResourceScope,
  user: UserRow,
  conversation: ConversationRow,
  participant: ParticipantRow,
): Record<string, unknown> {
  const conversationUrl = `${conversationsUrl(scope)}/${conversation.sid}`;
  return {
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    participant_sid: participant.sid,
    participant_user_sid: user.sid,
    participant_identity: participant.identity,
    participant_messaging_binding: null,
    conversation_sid: conversation.sid,
    conversation_unique_name: conversation.unique_name,
    conversation_friendly_name: conversation.friendly_name,
    conversation_attributes: conversation.attributes,
    conversation_date_created: twilioDate(conversation.created_at),
    conversation_date_updated: twilioDate(conversation.updated_at),
    conversation_created_by: conversation.created_by,
    conversation_state: conversation.state,
    conversation_timers: timersOf(conversation),
    links: { participant: `${conversationUrl}/Participants/${participant.sid}`, conversation: conversationUrl },
  };
}

/** A role as Twilio's Role resource; an untouched default role has no dates. */
export function roleResource(scope: ResourceScope, role: Role): Record<string, unknown> {
  return {
    sid: role.sid,
    account_sid: scope.accountSid,
    chat_service_sid: scope.serviceSid,
    friendly_name: role.friendlyName,
    type: role.type,
    permissions: [...role.permissions],
    date_created: role.createdAt === null ? null : twilioDate(role.createdAt),
    date_updated: role.updatedAt === null ? null : twilioDate(role.updatedAt),
    url: `${scope.base}/v1/Roles/${role.sid}`,
  };
}

/** The service's Configuration resource: its default roles, and whether reachability is shown. */
export function serviceConfigurationResource(scope: ResourceScope, defaults: RoleDefaults, reachabilityEnabled: boolean): Record<string, unknown> {
  const url = `${scope.base}/v1/Services/${scope.serviceSid}/Configuration`;
  return {
    chat_service_sid: scope.serviceSid,
    default_conversation_creator_role_sid: defaults.conversationCreator,
    default_conversation_role_sid: defaults.conversation,
    default_chat_service_role_sid: defaults.service,
    reachability_enabled: reachabilityEnabled,
    url,
    links: { webhooks: `${url}/Webhooks` },
  };
}

/** The one conversations service as Twilio's Service resource. */
export function serviceResource(scope: ResourceScope): Record<string, unknown> {
  const url = `${scope.base}/v1/Services/${scope.serviceSid}`;
  return {
    sid: scope.serviceSid,
    account_sid: scope.accountSid,
    friendly_name: 'rx-conversations',
    date_created: null,
    date_updated: null,
    url,
    links: {
      conversations: `${url}/Conversations`,
      users: `${url}/Users`,
      roles: `${url}/Roles`,
      configuration: `${url}/Configuration`,
      participant_conversations: `${url}/ParticipantConversations`,
    },
  };
}
