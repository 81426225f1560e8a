import type { ConversationRow, EventStream, MessageRow, NewEvent, ParticipantRow } from '@rx-conversations/server-core';

/** A conversation row with defaults for what a test does not care about. */
export function conversationRow(sid: string, fields: Partial<ConversationRow> = {}): ConversationRow {
  return {
    sid,
    unique_name: null,
    friendly_name: null,
    attributes: '{}',
    created_by: 'alice',
    created_at: 1_000,
    updated_at: 1_000,
    version: 1,
    last_message_index: null,
    last_message_at: null,
    messages_count: 0,
    participants_count: 0,
    state: 'active',
    state_updated_at: 0,
    timer_inactive_ms: null,
    timer_closed_ms: null,
    inactive_at: null,
    closed_at: null,
    ...fields,
  };
}

/** A participant row (the store gives its id). */
export function participantRow(conversationSid: string, identity: string, fields: Partial<ParticipantRow> = {}): Omit<ParticipantRow, 'id'> {
  return {
    sid: `MB-${conversationSid}-${identity}`,
    conversation_sid: conversationSid,
    identity,
    role: 'member',
    type: 'chat',
    binding: null,
    attributes: '{}',
    notification_level: 'default',
    last_read_message_index: null,
    last_read_at: null,
    joined_at: 1_000,
    updated_at: 1_000,
    version: 1,
    ...fields,
  };
}

/** Message `idx` of a conversation. */
export function messageRow(conversationSid: string, idx: number, author: string, fields: Partial<MessageRow> = {}): MessageRow {
  return {
    conversation_sid: conversationSid,
    idx,
    sid: `IM-${conversationSid}-${idx}`,
    author,
    body: `message ${idx}`,
    attributes: '{}',
    created_at: 1_000 + idx,
    updated_at: 1_000 + idx,
    version: 1,
    removed: 0,
    idempotency_key: null,
    media: null,
    participant_sid: null,
    last_updated_by: null,
    reply_to: null,
    reactions: null,
    ...fields,
  };
}

/** An event on `stream` whose payload names it (`label`), so a test can tell events apart. */
export function newEvent(stream: EventStream, label: string, at = 1_000): NewEvent {
  return { stream, kind: 'test', payload: JSON.stringify({ label }), at };
}

/** The label an event was appended with. */
export function labelOf(event: { readonly payload: string }): string {
  return (JSON.parse(event.payload) as { label: string }).label;
}
