import type { PushDelivery } from '@rx-conversations/protocol';
import type { PushSender } from '@rx-conversations/server-core';

/**
 * Options of {@link WebhookPushSender}.
 *
 * @example
 * const options: WebhookPushSenderOptions = { url: 'https://push.example.com/rxc', timeoutMs: 3000 };
 */
export interface WebhookPushSenderOptions {
  /** Where each delivery is POSTed as JSON. */
  readonly url: string;
  /** Extra request headers, for example an `authorization` your endpoint checks. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Abort a request after this long. Default 5000 ms. */
  readonly timeoutMs?: number;
}

/**
 * A {@link PushSender} that POSTs each {@link PushDelivery} as JSON to your endpoint, which forwards it to
 * FCM or APNs. A non-2xx answer, a network error or a timeout rejects; the server logs it and moves on.
 *
 * @example
 * const pushSender = new WebhookPushSender({ url: 'https://push.example.com/rxc', headers: { authorization: 'Bearer …' } });
 * await startServer({ keys, pushSender });
 */
export class WebhookPushSender implements PushSender {
  private readonly url: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;

  constructor(options: WebhookPushSenderOptions) {
    if (typeof options?.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new TypeError('WebhookPushSender needs an http(s) `url`.');
    }
    this.url = options.url;
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async send(delivery: PushDelivery): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify(delivery),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`push webhook answered ${response.status}`);
  }
}
