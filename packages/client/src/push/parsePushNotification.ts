import type { JsonValue, PushPayload } from '@rx-conversations/protocol';

/** A push notification from the rx-conversations server, validated. */
export type PushNotification = PushPayload;

const KINDS = new Set<PushPayload['kind']>(['newMessage', 'addedToConversation', 'removedFromConversation']);

/**
 * Validates a push payload (STORE-11) as delivered by FCM (`data`: every value a string) or APNs
 * (custom keys, typed values). Returns null for payloads that are not ours or are malformed — an app
 * receives pushes from other senders too.
 *
 * @example
 * messaging.onMessage((m) => {
 *   const n = parsePushNotification(m.data);
 *   if (n?.kind === 'newMessage') showNotification(n.conversationTitle ?? 'New message', n.body ?? '');
 * });
 */
export function parsePushNotification(payload: unknown): PushNotification | null {
  if (payload === null || typeof payload !== 'object') return null;
  const p = payload as Record<string, unknown>;
  if (p['rxc'] !== 1 && p['rxc'] !== '1') return null;
  const kind = p['kind'];
  if (typeof kind !== 'string' || !KINDS.has(kind as PushPayload['kind'])) return null;
  const conversationSid = p['conversationSid'];
  if (typeof conversationSid !== 'string' || conversationSid.length === 0) return null;
  const title = p['conversationTitle'];
  if (title !== undefined && title !== null && typeof title !== 'string') return null;
  const out: { -readonly [K in keyof PushPayload]: PushPayload[K] } = {
    rxc: 1,
    kind: kind as PushPayload['kind'],
    conversationSid,
    conversationTitle: typeof title === 'string' && title.length > 0 ? title : null,
  };
  for (const key of ['messageSid', 'author'] as const) {
    const v = p[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return null;
    out[key] = v;
  }
  const index = p['messageIndex'];
  if (index !== undefined && index !== null && index !== '') {
    const n = typeof index === 'string' ? Number(index) : index;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return null;
    out.messageIndex = n;
  }
  const body = p['body'];
  if (body !== undefined) {
    if (body !== null && typeof body !== 'string') return null;
    out.body = body;
  }
  const attributes = p['attributes'];
  if (attributes !== undefined) {
    if (typeof attributes === 'string') {
      try {
        out.attributes = JSON.parse(attributes) as JsonValue;
      } catch {
        return null;
      }
    } else {
      out.attributes = attributes as JsonValue;
    }
  }
  return out;
}
