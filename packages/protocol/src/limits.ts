/**
 * Hard limits of the wire protocol. The server enforces every one of them on untrusted input and
 * answers a violation with the precise error code named beside it; the client checks the cheap ones
 * before sending so a mistake fails fast, locally, with the same code.
 *
 * @example
 * if (body.length > LIMITS.messageBodyChars) throw new Error('too long');
 */
export const LIMITS = {
  /** Largest websocket message a client may send, in bytes (UTF-8). → `frame_too_large` */
  frameBytes: 64 * 1024,
  /** Message body, in UTF-16 code units. → `string_too_long` */
  messageBodyChars: 32 * 1024,
  /** `attributes` of any entity, serialised as JSON, in characters. → `attributes_too_large` */
  attributesJsonChars: 16 * 1024,
  /** Nesting depth of `attributes` JSON. → `attributes_too_deep` */
  attributesDepth: 16,
  /** Identities (also the token's `grants.identity`). → `string_too_long` */
  identityChars: 256,
  /** `friendlyName` of conversations and users. → `string_too_long` */
  friendlyNameChars: 256,
  /** `uniqueName` of conversations. → `string_too_long` */
  uniqueNameChars: 256,
  /** Idempotency keys, 8 to 128 characters. → `invalid_argument` */
  idempotencyKeyMinChars: 8,
  idempotencyKeyMaxChars: 128,
  /** Push registration tokens. → `string_too_long` */
  pushTokenChars: 4096,
  /** Access token carried by `token.update`. → `string_too_long` */
  tokenChars: 8192,
  /** Page sizes: 1 to this. → `page_size_out_of_range` */
  maxMessagesPageSize: 100,
  maxConversationsPageSize: 100,
  maxParticipantsPageSize: 1000,
  /** Identities given to one `users.subscribe` call. → `invalid_argument` */
  maxUsersPerSubscribe: 100,
  /** Attachments of one message (`messages.send` `mediaSids`). → `invalid_argument` */
  maxMediaPerMessage: 10,
  /** A reaction is one emoji of at most this many UTF-16 units (long ZWJ sequences fit). → `invalid_argument` */
  emojiChars: 32,
  /** Different emoji on one message at most. → `reaction_limit` */
  maxReactionsPerMessage: 20,
  /** Sids are opaque ASCII strings of at most this many characters. → `invalid_argument` */
  sidChars: 64,
} as const;

/** The type of {@link LIMITS}. */
export type Limits = typeof LIMITS;

/**
 * The longest delay `setTimeout` accepts (2³¹ − 1 ms, about 24.8 days); a longer one fires at once. Clients
 * and servers arm timers against token expiry with it: a wait beyond it is re-armed, or never needed.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
