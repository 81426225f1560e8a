import { createHmac } from 'node:crypto';

/**
 * `X-Twilio-Signature` (ADMIN-3): base64 HMAC-SHA1 with the account's auth token over the full URL
 * followed by each POST parameter, sorted by name, as name + value. What the `twilio` library's
 * `validateRequest` and `webhook()` middleware check.
 *
 * @example
 * const signature = twilioSignature(authToken, 'https://app.example.com/hooks', { EventType: 'onMessageAdded' });
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}
