import type { Logger } from 'pino';
import type { PreHookAnswer, PreHookCaller, PreHookRequest } from '@rx-conversations/server-core';
import { twilioSignature } from './twilioSignature.js';

/** Largest answer read from a pre-event webhook; the changes it may carry are small. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Calls the app's pre-event webhooks over HTTP (ADMIN-3): form-encoded (or a GET query), signed with
 * `X-Twilio-Signature`, and given `timeoutMs` to answer. No answer in time, or no connection, allows
 * the action (late), as on Twilio; the core decides the rest from the status and body.
 */
export function preHookCaller(accountSid: string, serviceSid: string, authToken: string | undefined, timeoutMs: number, logger: Logger): PreHookCaller {
  return async (request: PreHookRequest): Promise<PreHookAnswer> => {
    const params: Record<string, string> = { AccountSid: accountSid, ChatServiceSid: serviceSid, ...request.params };
    const query = new URLSearchParams(params).toString();
    const url = request.method === 'GET' ? `${request.url}${request.url.includes('?') ? '&' : '?'}${query}` : request.url;
    const headers: Record<string, string> = { 'user-agent': 'rx-conversations-webhooks/1' };
    if (authToken !== undefined) headers['x-twilio-signature'] = twilioSignature(authToken, url, request.method === 'GET' ? {} : params);
    if (request.method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    try {
      const res = await fetch(url, {
        method: request.method,
        headers,
        ...(request.method === 'POST' ? { body: query } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = Buffer.from(await res.arrayBuffer());
      return { status: res.status, body: body.subarray(0, MAX_ANSWER_BYTES).toString('utf8') };
    } catch (err) {
      logger.warn({ url: request.url, event: request.params['EventType'], err: (err as Error).message }, 'pre-event webhook gave no answer; the action goes ahead');
      return null;
    }
  };
}
