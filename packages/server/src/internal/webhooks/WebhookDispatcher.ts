import type { Logger } from 'pino';
import { run, type Core, type WebhookDeliveryRow } from '@rx-conversations/server-core';
import { twilioSignature } from './twilioSignature.js';

/** How post-event webhooks are delivered. */
export interface WebhookDeliveryOptions {
  /** Attempts after the first before a delivery is dropped (and logged). */
  readonly retries: number;
  /** Delay before the first retry; each next one doubles, up to 5 minutes. */
  readonly retryBaseMs: number;
  /** A receiver that has not answered within this is a failed attempt. */
  readonly timeoutMs: number;
}

const MAX_BACKOFF_MS = 5 * 60_000;
/**
 * A claimed delivery is any node's again this long after its attempt's timeout, should the node that
 * claimed it die while sending.
 */
const LEASE_MARGIN_MS = 5_000;
const BATCH = 16;
/**
 * Deliveries under way at once, per node. A new one is claimed as soon as one ends, so a receiver that
 * hangs until its timeout holds up only its own deliveries, never those to other receivers.
 */
const MAX_IN_FLIGHT = 64;

/**
 * Sends the outbox of post-event webhooks (ADMIN-3): at least once, signed, retried with back-off, off
 * every client's path. Each delivery is claimed with a lease, so that several nodes share the outbox
 * without sending one delivery twice at once. A write that queued deliveries wakes it; a timer catches
 * what other nodes queued, and retries.
 */
export class WebhookDispatcher {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  /** Aborts the attempts under way when the server closes: they count as failed and are retried later. */
  private readonly closing = new AbortController();
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly core: Core,
    private readonly accountSid: string,
    private readonly serviceSid: string,
    private readonly authToken: string | undefined,
    private readonly options: WebhookDeliveryOptions,
    private readonly logger: Logger,
    pollIntervalMs: number,
  ) {
    this.timer = setInterval(() => this.wake(), pollIntervalMs);
    this.timer.unref();
  }

  /** Looks for due deliveries now (or right after the pass under way). */
  wake(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: unknown) => this.logger.error({ err }, 'webhook dispatch failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops claiming; waits for the deliveries under way (their leases keep the rest for other nodes). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.closing.abort();
    await this.running;
    await Promise.all(this.inFlight);
  }

  private async pass(): Promise<void> {
    for (;;) {
      // Full: the next delivery to end wakes the dispatcher again.
      const room = Math.min(BATCH, MAX_IN_FLIGHT - this.inFlight.size);
      if (room <= 0 || this.closed) return;
      const now = this.core.clock();
      const leaseUntil = now + this.options.timeoutMs + LEASE_MARGIN_MS;
      const due = await run(this.core.store.write((tx) => tx.claimDeliveries(now, leaseUntil, room)));
      for (const delivery of due) {
        const sending = this.deliver(delivery)
          .catch((err: unknown) => this.logger.error({ err }, 'webhook delivery failed'))
          .finally(() => {
            this.inFlight.delete(sending);
            if (this.inFlight.size === MAX_IN_FLIGHT - 1 || due.length === room) this.wake();
          });
        this.inFlight.add(sending);
      }
      if (due.length < room) return;
    }
  }

  private async deliver(delivery: WebhookDeliveryRow): Promise<void> {
    const params: Record<string, string> = { AccountSid: this.accountSid, ChatServiceSid: this.serviceSid, ...(JSON.parse(delivery.params) as Record<string, string>) };
    const failure = await this.send(delivery, params);
    const now = this.core.clock();
    if (failure === undefined) {
      await run(this.core.store.write((tx) => tx.deleteDelivery(delivery.id)));
      return;
    }
    const attempts = delivery.attempts + 1;
    if (attempts > this.options.retries) {
      this.logger.error({ url: delivery.url, event: params['EventType'], attempts, failure }, 'webhook dropped after its last retry');
      await run(this.core.store.write((tx) => tx.deleteDelivery(delivery.id)));
      return;
    }
    const delay = Math.min(MAX_BACKOFF_MS, this.options.retryBaseMs * 2 ** (attempts - 1));
    this.logger.warn({ url: delivery.url, event: params['EventType'], attempts, failure, retryInMs: delay }, 'webhook failed; will retry');
    await run(this.core.store.write((tx) => tx.retryDelivery(delivery.id, attempts, now + delay)));
    // Retries sooner than the next poll are not left waiting for it.
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.wake();
    }, delay);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** One attempt: undefined when the receiver answered 2xx, else why not. */
  private async send(delivery: WebhookDeliveryRow, params: Record<string, string>): Promise<string | undefined> {
    const query = new URLSearchParams(params).toString();
    const url = delivery.method === 'GET' ? `${delivery.url}${delivery.url.includes('?') ? '&' : '?'}${query}` : delivery.url;
    const headers: Record<string, string> = { 'user-agent': 'rx-conversations-webhooks/1' };
    if (this.authToken !== undefined) {
      headers['x-twilio-signature'] = twilioSignature(this.authToken, url, delivery.method === 'GET' ? {} : params);
    }
    if (delivery.method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    try {
      const res = await fetch(url, {
        method: delivery.method,
        headers,
        ...(delivery.method === 'POST' ? { body: query } : {}),
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.closing.signal]),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      if (this.closing.signal.aborted) return 'the server closed during the attempt';
      return (err as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (err as Error).message;
    }
  }
}
