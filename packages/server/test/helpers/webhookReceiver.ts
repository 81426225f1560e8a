import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplaySubject, filter, firstValueFrom, take, timeout, toArray } from 'rxjs';

/** One request a webhook receiver got. */
export interface ReceivedWebhook {
  readonly method: string;
  /** The full URL as the sender addressed it (what `X-Twilio-Signature` signs). */
  readonly url: string;
  readonly signature: string | undefined;
  /** Form fields of a POST, or query parameters of a GET. */
  readonly params: Record<string, string>;
}

/** How the receiver answers one request: a status, a status with a body, or `'hang'` to never answer. */
export type Answer = number | { readonly status: number; readonly body: string } | 'hang';

/**
 * A local HTTP endpoint standing in for an app's webhook handler: records every request and answers
 * with the statuses given to `answerWith` (200 once they run out).
 */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** The answers to the next requests, replacing any not used yet (none: 200 from now on). */
  answerWith(...answers: Answer[]): void;
  /** The first `count` requests matching `predicate` (already received or future). */
  next(count: number, predicate?: (hook: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Requests being held open (answer `'hang'`). */
  readonly hanging: number;
  close(): Promise<void>;
}

export async function webhookReceiver(path = '/hooks'): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const arrivals = new ReplaySubject<ReceivedWebhook>();
  const answers: Answer[] = [];
  const held = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url ?? '/'}`;
      const params = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? new URL(url).search : body));
      const signature = req.headers['x-twilio-signature'];
      const hook = { method: req.method ?? '', url, signature: typeof signature === 'string' ? signature : undefined, params };
      received.push(hook);
      const answer = answers.shift() ?? 200;
      if (answer === 'hang') {
        held.add(res);
        res.on('close', () => held.delete(res));
      } else if (typeof answer === 'number') {
        res.statusCode = answer;
        res.end();
      } else {
        res.statusCode = answer.status;
        res.setHeader('content-type', 'application/json');
        res.end(answer.body);
      }
      arrivals.next(hook);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    answerWith: (...next) => void answers.splice(0, answers.length, ...next),
    next: (count, predicate = () => true, timeoutMs = 8000) =>
      firstValueFrom(arrivals.pipe(filter(predicate), take(count), timeout({ each: timeoutMs }), toArray())),
    get hanging() {
      return held.size;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
