import * as v from 'valibot';
import type { ErrorCode } from '../errorCodes.js';
import { LIMITS } from '../limits.js';
import type { OpName } from '../ops.js';

// Each check's message is the error code it stands for: the first issue becomes the wire error.
const code = (c: ErrorCode): ErrorCode => c;
const ARG = code('invalid_argument');
const LONG = code('string_too_long');
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const text = (max: number) => v.pipe(v.string(ARG), v.maxLength(max, LONG));
const nonEmptyText = (max: number) => v.pipe(v.string(ARG), v.minLength(1, ARG), v.maxLength(max, LONG));
const sid = v.pipe(v.string(ARG), v.regex(/^[A-Za-z0-9_-]{1,64}$/, ARG));
const identity = v.pipe(
  v.string(ARG),
  v.minLength(1, ARG),
  v.maxLength(LIMITS.identityChars, LONG),
  v.check((s) => !CONTROL_CHARS.test(s), ARG),
);
const uniqueName = v.pipe(nonEmptyText(LIMITS.uniqueNameChars), v.check((s) => !CONTROL_CHARS.test(s), ARG));
const friendlyName = text(LIMITS.friendlyNameChars);
const idempotencyKey = v.pipe(
  v.string(ARG),
  v.minLength(LIMITS.idempotencyKeyMinChars, ARG),
  v.maxLength(LIMITS.idempotencyKeyMaxChars, ARG),
  v.regex(/^[\x21-\x7e]+$/, ARG),
);
const messageIndex = v.pipe(v.number(ARG), v.safeInteger(ARG), v.minValue(0, ARG));
const pageSize = (max: number) =>
  v.optional(v.pipe(v.number(code('page_size_out_of_range')), v.integer(code('page_size_out_of_range')), v.minValue(1, code('page_size_out_of_range')), v.maxValue(max, code('page_size_out_of_range'))));

/** Depth of a parsed JSON value, stopping as soon as it exceeds `limit` (no deep recursion). */
function depthWithin(value: unknown, limit: number): boolean {
  const visit = (node: unknown, depth: number): boolean => {
    if (node === null || typeof node !== 'object') return true;
    if (depth >= limit) return false;
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    for (const child of children) if (!visit(child, depth + 1)) return false;
    return true;
  };
  return visit(value, 0);
}

const attributes = v.pipe(
  v.unknown(),
  v.check((a) => a !== undefined, ARG),
  v.check((a) => depthWithin(a, LIMITS.attributesDepth), code('attributes_too_deep')),
  v.check((a) => JSON.stringify(a).length <= LIMITS.attributesJsonChars, code('attributes_too_large')),
);
const role = v.picklist(['admin', 'member'], ARG);
/**
 * One emoji (PARITY-3): a pictograph with its variation selector, skin tone and ZWJ sequence parts, a
 * flag (two regional indicators) or a keycap. Text, several emoji or a bare modifier are refused.
 */
const EMOJI = /^(?:(?:\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*|\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3)$/u;
const emoji = v.pipe(v.string(ARG), v.maxLength(LIMITS.emojiChars, ARG), v.regex(EMOJI, ARG));
const conversationState = v.picklist(['active', 'inactive', 'closed'], ARG);
/** An ISO 8601 duration in weeks, days, hours, minutes and seconds (`P1D`, `PT10M`), or null to stop the timer. */
const duration = v.nullable(v.pipe(v.string(ARG), v.maxLength(32, ARG), v.regex(/^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/, ARG)));

/** A participant's role: the `admin`/`member` shorthand, or a role's sid (ADMIN-4), not both. */
const roleArgs = <T extends v.ObjectEntries>(entries: T) =>
  v.pipe(
    obj({ ...entries, role: v.optional(role), roleSid: v.optional(sid) }),
    v.check((a) => a.role === undefined || a.roleSid === undefined, ARG),
  );
const pushType = v.picklist(['fcm', 'apn'], ARG);
const obj = <T extends v.ObjectEntries>(entries: T) => v.strictObject(entries, ARG);
const timers = obj({ inactive: v.optional(duration), closed: v.optional(duration) });

/** Exactly one of `sid` / `uniqueName`. */
const conversationRef = <T extends v.ObjectEntries>(extra: T) =>
  v.pipe(
    obj({ sid: v.optional(sid), uniqueName: v.optional(uniqueName), ...extra }),
    v.check((a) => (a.sid === undefined) !== (a.uniqueName === undefined), ARG),
  );

/** Argument schema of every operation. */
export const ARG_SCHEMAS: { readonly [O in OpName]: v.GenericSchema } = {
  'conversations.list': obj({ pageSize: pageSize(LIMITS.maxConversationsPageSize), cursor: v.optional(text(256)) }),
  'conversations.get': conversationRef({}),
  'conversations.peek': conversationRef({}),
  'conversations.create': obj({
    friendlyName: v.optional(friendlyName),
    uniqueName: v.optional(uniqueName),
    attributes: v.optional(attributes),
    state: v.optional(conversationState),
    timers: v.optional(timers),
    idempotencyKey: v.optional(idempotencyKey),
  }),
  'conversations.update': obj({
    sid,
    friendlyName: v.optional(v.nullable(friendlyName)),
    uniqueName: v.optional(v.nullable(uniqueName)),
    attributes: v.optional(attributes),
    state: v.optional(conversationState),
    timers: v.optional(timers),
    idempotencyKey: v.optional(idempotencyKey),
  }),
  'conversations.delete': obj({ sid, idempotencyKey: v.optional(idempotencyKey) }),
  'conversations.join': conversationRef({ idempotencyKey: v.optional(idempotencyKey) }),
  'conversations.leave': obj({ sid, idempotencyKey: v.optional(idempotencyKey) }),
  'conversations.setNotificationLevel': obj({ sid, level: v.picklist(['default', 'muted'], ARG) }),
  'conversations.setLastRead': obj({ sid, index: v.nullable(messageIndex), mode: v.picklist(['advance', 'set'], ARG) }),
  'conversations.counts': obj({ sid }),
  'conversations.typing': obj({ sid }),
  'participants.list': obj({ sid }),
  'participants.add': roleArgs({ sid, identity, attributes: v.optional(attributes), idempotencyKey: v.optional(idempotencyKey) }),
  'participants.remove': obj({ sid, identity, idempotencyKey: v.optional(idempotencyKey) }),
  'participants.update': roleArgs({ sid, identity, attributes: v.optional(attributes), idempotencyKey: v.optional(idempotencyKey) }),
  'messages.list': obj({
    sid,
    pageSize: pageSize(LIMITS.maxMessagesPageSize),
    anchor: v.optional(messageIndex),
    direction: v.optional(v.picklist(['backwards', 'forwards'], ARG)),
  }),
  'messages.send': v.pipe(
    obj({
      sid,
      body: v.optional(v.nullable(text(LIMITS.messageBodyChars))),
      attributes: v.optional(attributes),
      mediaSids: v.optional(v.pipe(v.array(sid, ARG), v.minLength(1, ARG), v.maxLength(LIMITS.maxMediaPerMessage, ARG), v.check((a) => new Set(a).size === a.length, ARG))),
      replyTo: v.optional(messageIndex),
      idempotencyKey,
    }),
    v.check((a) => typeof a.body === 'string' || a.attributes !== undefined || a.mediaSids !== undefined, ARG),
  ),
  'messages.update': obj({
    sid,
    index: messageIndex,
    body: v.optional(v.nullable(text(LIMITS.messageBodyChars))),
    attributes: v.optional(attributes),
    idempotencyKey: v.optional(idempotencyKey),
  }),
  'messages.remove': obj({ sid, index: messageIndex, idempotencyKey: v.optional(idempotencyKey) }),
  'messages.react': obj({ sid, index: messageIndex, emoji, idempotencyKey: v.optional(idempotencyKey) }),
  'messages.unreact': obj({ sid, index: messageIndex, emoji, idempotencyKey: v.optional(idempotencyKey) }),
  'messages.thread': obj({
    sid,
    index: messageIndex,
    pageSize: pageSize(LIMITS.maxMessagesPageSize),
    anchor: v.optional(messageIndex),
    direction: v.optional(v.picklist(['backwards', 'forwards'], ARG)),
  }),
  'users.get': obj({ identity }),
  'users.subscribe': obj({ identities: v.pipe(v.array(identity, ARG), v.minLength(1, ARG), v.maxLength(LIMITS.maxUsersPerSubscribe, ARG)) }),
  'users.unsubscribe': obj({ identities: v.pipe(v.array(identity, ARG), v.maxLength(LIMITS.maxUsersPerSubscribe, ARG)) }),
  'users.updateMe': obj({ friendlyName: v.optional(v.nullable(friendlyName)), attributes: v.optional(attributes) }),
  'push.register': obj({ type: pushType, token: nonEmptyText(LIMITS.pushTokenChars) }),
  'push.unregister': obj({ type: pushType, token: nonEmptyText(LIMITS.pushTokenChars) }),
  'token.update': obj({ token: nonEmptyText(LIMITS.tokenChars) }),
};
