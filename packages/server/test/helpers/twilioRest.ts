import twilio from 'twilio';
import type { RunningServer } from '../../src/index.js';
import { KEY_ID, SECRET } from './testKeys.js';

/** The account and service sids the REST tests' servers are started with. */
export const ACCOUNT_SID = 'AC11111111111111111111111111111111';
export const SERVICE_SID = 'IS22222222222222222222222222222222';
/** The auth token of the servers the restart tests run in child processes. */
export const CHILD_AUTH_TOKEN = 'auth-token-of-the-child-server-01';

interface TwilioRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
  timeout?: number;
}

/**
 * The `httpClient` a backend gives the official `twilio` library to talk to our server instead of
 * twilio.com (docs/admin-api.md shows the same class): it keeps the path and query, swaps the host, and
 * sends the library's form with repeated keys for arrays.
 */
export class LocalTwilioHttpClient {
  private readonly base: string;

  constructor(base: string) {
    this.base = base.replace(/\/$/, '');
  }

  async request(opts: TwilioRequest): Promise<{ statusCode: number; body: string; headers: Record<string, string> }> {
    const url = new URL(opts.uri.replace(/^https:\/\/[a-z0-9.-]+\.twilio\.com/, this.base));
    const form = (o: Record<string, unknown> | undefined): URLSearchParams => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(o ?? {})) for (const x of ([] as unknown[]).concat(v)) if (x !== undefined) params.append(k, String(x));
      return params;
    };
    form(opts.params).forEach((v, k) => url.searchParams.append(k, v));
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.username !== undefined && opts.password !== undefined) {
      headers['Authorization'] = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    }
    const res = await fetch(url, {
      method: opts.method.toUpperCase(),
      headers,
      ...(opts.data !== undefined && opts.method !== 'get' ? { body: form(opts.data).toString() } : {}),
      signal: AbortSignal.timeout(opts.timeout ?? 10_000),
    });
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((value, name) => (responseHeaders[name] = value));
    return { statusCode: res.status, body: await res.text(), headers: responseHeaders };
  }
}

/** A `twilio` client signed in with the test API key, talking to `server`. */
export function twilioClientFor(server: RunningServer, credentials: { username: string; password: string } = { username: KEY_ID, password: SECRET }) {
  return twilio(credentials.username, credentials.password, { accountSid: ACCOUNT_SID, httpClient: new LocalTwilioHttpClient(server.httpUrl) as never });
}

/** What the `twilio` library throws for an error answer: a RestException with Twilio's fields. Fails the test if the call succeeds. */
export async function restFailure(promise: Promise<unknown>): Promise<{ status: number; code: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    const { status, code, message } = err as { status: number; code: number; message: string };
    return { status, code, message };
  }
  throw new Error('the request succeeded');
}
