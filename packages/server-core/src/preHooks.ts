import { parseClientFrame, type JsonValue, type OpName } from '@rx-conversations/protocol';
import { serverError } from './ServerError.js';

/** One call of a pre-event webhook, as the core hands it to the transport. */
export interface PreHookRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** Twilio's fields: `EventType`, `Source`, `ClientIdentity`, and the action's. */
  readonly params: Readonly<Record<string, string>>;
}

/** What the app's pre-event webhook answered, or null when it did not answer in time (allowed, late). */
export type PreHookAnswer = { readonly status: number; readonly body: string } | null;

/** Calls a pre-event webhook (the server: signed HTTP with a 5 s timeout). */
export type PreHookCaller = (request: PreHookRequest) => Promise<PreHookAnswer>;

/**
 * What a webhook's 200 answer asks to change, or null: an empty body or `{}` allows the action as it
 * is; a body that is not a JSON object also changes nothing.
 */
export function changesOf(answer: { readonly body: string }): Record<string, unknown> | null {
  const text = answer.body.trim();
  if (text === '') return null;
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) return null;
    return value as Record<string, unknown>;
  } catch {
    return null;
  }
}

function field(changes: Record<string, unknown>, name: string, event: string): string | undefined {
  const value = changes[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw serverError('invalid_argument', `the ${event} webhook answered a ${name} that is not a string`, { path: name });
  return value;
}

/**
 * Checks changed values with the websocket's own rules (lengths, attribute size and depth): a webhook
 * cannot write what a client could not.
 */
function checked(op: OpName, args: Record<string, unknown>, event: string): void {
  const parsed = parseClientFrame(JSON.stringify({ type: 'req', id: 1, op, args }));
  if (parsed.ok) return;
  const path = parsed.error.details?.path;
  throw serverError(parsed.error.code, `the ${event} webhook answered an invalid value: ${parsed.error.message}`, path === undefined ? undefined : { path });
}

/** A message as a pre-event webhook may change it (`body`, `author`, `attributes` as a JSON string). */
export function messageChanges(
  changes: Record<string, unknown> | null,
  event: 'onMessageAdd' | 'onMessageUpdate',
): { body?: string; author?: string; attributes?: JsonValue } {
  if (changes === null) return {};
  const body = field(changes, 'body', event);
  const author = field(changes, 'author', event);
  const rawAttributes = field(changes, 'attributes', event);
  let attributes: JsonValue | undefined;
  if (rawAttributes !== undefined) {
    try {
      attributes = JSON.parse(rawAttributes) as JsonValue;
    } catch {
      throw serverError('invalid_argument', `the ${event} webhook answered attributes that are not JSON`, { path: 'attributes' });
    }
  }
  checked('messages.send', { sid: 'CH', idempotencyKey: 'pre-event', ...(body === undefined ? {} : { body }), ...(attributes === undefined ? {} : { attributes }) }, event);
  if (author !== undefined) checked('participants.add', { sid: 'CH', identity: author }, event);
  if (author === '') throw serverError('invalid_argument', `the ${event} webhook answered an empty author`, { path: 'author' });
  return { ...(body === undefined ? {} : { body }), ...(author === undefined ? {} : { author }), ...(attributes === undefined ? {} : { attributes }) };
}

/** A conversation as a pre-event webhook may change it (`friendly_name`). */
export function conversationChanges(changes: Record<string, unknown> | null, event: 'onConversationAdd' | 'onConversationUpdate'): { friendlyName?: string } {
  if (changes === null) return {};
  const friendlyName = field(changes, 'friendly_name', event);
  if (friendlyName === undefined) return {};
  checked('conversations.create', { friendlyName }, event);
  return { friendlyName };
}
