/**
 * Every error code of rx-conversations, on the wire and in the client, with whether retrying the
 * same call later can succeed. This table is the single source of truth: the `ErrorCode` union is
 * derived from it, and `docs/errors.md` must document each key (a test checks both ways).
 */
export const ERROR_CODES = {
  // ── frames and protocol (SRV-6) ──
  frame_malformed: { retryable: false, summary: 'The websocket message is not valid JSON, not an object, or not a frame.' },
  frame_too_large: { retryable: false, summary: 'The websocket message exceeds LIMITS.frameBytes.' },
  frame_type_unknown: { retryable: false, summary: 'The frame `type` is not one the server knows.' },
  op_unknown: { retryable: false, summary: 'The request `op` is not a known operation.' },
  request_id_invalid: { retryable: false, summary: 'The request `id` is missing, not a positive safe integer, or not greater than the previous one on this connection (replayed).' },
  invalid_argument: { retryable: false, summary: 'An argument has the wrong type, is missing, or is out of its allowed set; `details.path` names it.' },
  string_too_long: { retryable: false, summary: 'A string argument exceeds its limit; `details.path` names it.' },
  attributes_too_large: { retryable: false, summary: 'An `attributes` value serialises to more than LIMITS.attributesJsonChars.' },
  attributes_too_deep: { retryable: false, summary: 'An `attributes` value nests deeper than LIMITS.attributesDepth.' },
  page_size_out_of_range: { retryable: false, summary: 'A page size is not an integer between 1 and its maximum.' },
  handshake_required: { retryable: false, summary: 'A frame other than `hello` arrived before the handshake completed.' },
  handshake_repeated: { retryable: false, summary: 'A second `hello` arrived on the same connection.' },
  handshake_timeout: { retryable: true, summary: 'No `hello` arrived within the handshake timeout; the connection is closed.' },
  protocol_version_unsupported: { retryable: false, summary: 'The `hello` names a protocol version the server does not speak.' },
  resume_sequence_invalid: { retryable: false, summary: 'The `hello` resumes from a sequence number ahead of the user\'s log (a different server or database); resynchronise.' },
  subprotocol_missing: { retryable: false, summary: 'The websocket upgrade did not offer the `rxc.v1` subprotocol (HTTP 400).' },
  heartbeat_timeout: { retryable: true, summary: 'The server heard nothing from the client for three heartbeat intervals and closed the connection (4009); reconnect and resume.' },
  not_found: { retryable: false, summary: 'HTTP only: no such endpoint.' },
  method_not_allowed: { retryable: false, summary: 'HTTP only: the endpoint does not accept this method.' },
  // ── authentication (TOKEN-*, SRV-2) ──
  token_not_a_string: { retryable: false, summary: 'The access token is not a string.' },
  token_malformed: { retryable: false, summary: 'The access token is not a decodable JWT.' },
  token_algorithm_not_allowed: { retryable: false, summary: 'The token\'s `alg` is `none` or does not match the algorithm of the configured key (algorithm confusion).' },
  token_key_unknown: { retryable: false, summary: 'No configured key matches the token\'s `kid`/`iss`.' },
  token_signature_invalid: { retryable: false, summary: 'The token\'s signature does not verify.' },
  token_expired: { retryable: false, summary: 'The token\'s `exp` has passed. Get a new token.' },
  token_not_yet_valid: { retryable: false, summary: 'The token\'s `nbf` (or `iat`) is in the future.' },
  token_ttl_too_long: { retryable: false, summary: 'The token lives longer than 24 hours.' },
  token_ttl_too_short: { retryable: false, summary: 'The token lives less than 3 minutes.' },
  token_identity_missing: { retryable: false, summary: 'The token has no `grants.identity`.' },
  token_identity_invalid: { retryable: false, summary: 'The token\'s identity is not a string, too long, or has control characters.' },
  token_claims_invalid: { retryable: false, summary: 'A required claim (`iat`, `exp`, `iss`, `grants`) is missing or ill-typed.' },
  token_identity_mismatch: { retryable: false, summary: '`updateToken` was given a token for another identity.' },
  token_provider_failed: { retryable: true, summary: 'The client\'s `tokenProvider` rejected or returned something other than a string.' },
  // ── authorisation and state (SRV-3) ──
  not_a_participant: { retryable: false, summary: 'Only participants of the conversation may do this.' },
  permission_denied: { retryable: false, summary: "The caller's roles lack the permission `details.permission` names." },
  role_not_found: { retryable: false, summary: 'No conversation role has this sid.' },
  conversation_closed: { retryable: false, summary: 'The conversation is closed: it is read-only.' },
  state_change_invalid: { retryable: false, summary: 'A closed conversation cannot change state again.' },
  reaction_limit: { retryable: false, summary: 'The message has as many different reactions as allowed.' },
  conversation_not_found: { retryable: false, summary: 'No conversation has this sid or unique name.' },
  message_not_found: { retryable: false, summary: 'The conversation has no message at this index (or it was removed).' },
  participant_not_found: { retryable: false, summary: 'The identity is not a participant of the conversation.' },
  user_not_found: { retryable: false, summary: 'No user has this identity.' },
  unique_name_taken: { retryable: false, summary: 'Another conversation already has this unique name.' },
  participant_exists: { retryable: false, summary: 'The identity is already a participant of the conversation.' },
  idempotency_key_conflict: { retryable: false, summary: 'The idempotency key was already used for a different operation or arguments.' },
  webhook_rejected: { retryable: false, summary: "The app's pre-event webhook refused this action." },
  // ── media (MEDIA-1..4); docs/errors.md says more ──
  media_not_found: { retryable: false, summary: 'No media has this sid (or it was deleted).' },
  media_conversation_mismatch: { retryable: false, summary: 'The media belongs to another conversation.' },
  media_not_owned: { retryable: false, summary: 'Only the uploader may attach this media.' },
  media_already_attached: { retryable: false, summary: 'The media is attached to another message.' },
  media_length_required: { retryable: false, summary: 'HTTP 411: the upload has no Content-Length.' },
  media_too_large: { retryable: false, summary: 'HTTP 413: the upload exceeds media.maxBytes.' },
  media_quota_exceeded: { retryable: false, summary: 'HTTP 413: the upload exceeds the user\'s quota.' },
  media_type_not_allowed: { retryable: false, summary: 'HTTP 415: this Content-Type is not accepted.' },
  media_type_mismatch: { retryable: false, summary: 'HTTP 415: the bytes are not of the declared type.' },
  media_upload_incomplete: { retryable: true, summary: 'HTTP 400: the body ended before Content-Length bytes.' },
  media_signature_invalid: { retryable: false, summary: 'HTTP 403: the download URL is not validly signed.' },
  media_signature_expired: { retryable: false, summary: 'HTTP 403: the download URL has expired.' },
  media_range_not_satisfiable: { retryable: false, summary: 'HTTP 416: the Range lies outside the file.' },
  media_storage_failed: { retryable: true, summary: 'HTTP 503: the media storage failed.' },
  // ── limits (SRV-5) ──
  rate_limited: { retryable: true, summary: 'Too many requests on this connection; retry after `details.retryAfterMs`.' },
  slow_consumer: { retryable: true, summary: 'The client did not read fast enough; the server closed the connection. Reconnect and resume.' },
  too_many_connections: { retryable: true, summary: 'The server refuses more connections for now.' },
  // ── server ──
  internal_error: { retryable: true, summary: 'An unexpected server error; the operation had no effect.' },
  server_shutting_down: { retryable: true, summary: 'The server is shutting down; reconnect and retry.' },
  // ── client-side (CONN-*, STORE-*) ──
  client_shut_down: { retryable: false, summary: 'The client was shut down; create a new ConversationsClient.' },
  connection_lost: { retryable: true, summary: 'The connection dropped before the reply arrived; the client retries idempotent calls itself.' },
  request_timeout: { retryable: true, summary: 'No reply within the request timeout.' },
  queue_full: { retryable: true, summary: 'Too many calls are waiting for a connection.' },
  rate_limit_deadline: { retryable: true, summary: 'The server\'s rate limit held the call back longer than `rateLimitDeadlineMs`; it was not sent.' },
  connection_denied: { retryable: false, summary: 'The connection is `denied` (token rejected); call `updateToken` with a valid token.' },
  message_send_failed: { retryable: true, summary: 'An optimistic send failed; `cause` has the reason; call `retry()` on the message.' },
  media_upload_aborted: { retryable: true, summary: 'The upload was cancelled.' },
  media_request_failed: { retryable: true, summary: 'The media request got no answer.' },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

/**
 * Every code's name, and the retryable ones, without the summaries: all a browser client needs of
 * {@link ERROR_CODES}, whose summaries would be 2 KB of its gzipped bundle (PERF-7). `errorCodes.spec.ts`
 * keeps both equal to the table.
 *
 * @internal
 */
export const CODE_NAMES: ReadonlySet<string> = new Set(
  'frame_malformed frame_too_large frame_type_unknown op_unknown request_id_invalid invalid_argument string_too_long attributes_too_large attributes_too_deep page_size_out_of_range handshake_required handshake_repeated handshake_timeout protocol_version_unsupported resume_sequence_invalid subprotocol_missing heartbeat_timeout not_found method_not_allowed token_not_a_string token_malformed token_algorithm_not_allowed token_key_unknown token_signature_invalid token_expired token_not_yet_valid token_ttl_too_long token_ttl_too_short token_identity_missing token_identity_invalid token_claims_invalid token_identity_mismatch token_provider_failed not_a_participant permission_denied role_not_found conversation_closed state_change_invalid reaction_limit conversation_not_found message_not_found participant_not_found user_not_found unique_name_taken participant_exists idempotency_key_conflict webhook_rejected media_not_found media_conversation_mismatch media_not_owned media_already_attached media_length_required media_too_large media_quota_exceeded media_type_not_allowed media_type_mismatch media_upload_incomplete media_signature_invalid media_signature_expired media_range_not_satisfiable media_storage_failed rate_limited slow_consumer too_many_connections internal_error server_shutting_down client_shut_down connection_lost request_timeout queue_full rate_limit_deadline connection_denied message_send_failed media_upload_aborted media_request_failed'.split(' '),
);
/** @internal */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(
  'handshake_timeout heartbeat_timeout token_provider_failed media_upload_incomplete media_storage_failed rate_limited slow_consumer too_many_connections internal_error server_shutting_down connection_lost request_timeout queue_full rate_limit_deadline message_send_failed media_upload_aborted media_request_failed'.split(' '),
);

/** Closed union of every error code (see `docs/errors.md`). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `value` is one of the known error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODE_NAMES.has(value);
}

/** Whether retrying a call that failed with `code` can succeed without changing anything. */
export function isRetryable(code: ErrorCode): boolean {
  return RETRYABLE_CODES.has(code);
}
