import { Observable, type SchedulerLike } from 'rxjs';
import { isErrorCode, type ErrorCode } from '@rx-conversations/protocol';
import type { FetchLike } from '../../ClientOptions.js';
import type { CoreLog } from './CoreLog.js';
import { decodeTokenClaims } from './tokenClaims.js';

/** Whether the token is why a socket failed before opening. */
export type AuthProbeResult =
  | { readonly denied: true; readonly code: ErrorCode; readonly message: string }
  | { readonly denied: false };

/** What {@link authProbe} needs. */
export interface AuthProbeConfig {
  readonly token: string;
  readonly authUrl: string;
  readonly fetch: FetchLike | null;
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  readonly log: CoreLog;
}

/**
 * Finds out whether a socket that failed before `open` was refused for its token. Browsers (and the
 * WHATWG interface of `ws`) hide the HTTP status of a refused upgrade, so: a token expired by the
 * local clock is denied (`token_expired`); otherwise `GET /v1/auth` with the token as a bearer, where
 * a 401 names the reason (`{ code }`). Anything else — no fetch, a network error, another status, no
 * answer within `timeoutMs` — is inconclusive: a plain network failure, retried with backoff.
 * Emits exactly one result; unsubscribing aborts the request.
 */
export function authProbe(config: AuthProbeConfig): Observable<AuthProbeResult> {
  return new Observable<AuthProbeResult>((subscriber) => {
    const exp = decodeTokenClaims(config.token)?.exp ?? null;
    if (exp !== null && exp * 1000 <= config.scheduler.now()) {
      subscriber.next({ denied: true, code: 'token_expired', message: 'the token expired (by the local clock)' });
      subscriber.complete();
      return undefined;
    }
    const fetch = config.fetch;
    if (fetch === null) {
      subscriber.next({ denied: false });
      subscriber.complete();
      return undefined;
    }
    const abort = typeof AbortController === 'function' ? new AbortController() : null;
    const finish = (result: AuthProbeResult): void => {
      if (subscriber.closed) return;
      subscriber.next(result);
      subscriber.complete();
    };
    const timer = config.scheduler.schedule(() => {
      config.log.debug('auth probe timed out');
      finish({ denied: false });
    }, config.timeoutMs);
    const init = { method: 'GET' as const, headers: { authorization: `Bearer ${config.token}` }, ...(abort === null ? {} : { signal: abort.signal }) };
    Promise.resolve()
      .then(() => fetch(config.authUrl, init))
      .then(async (response) => {
        if (response.status !== 401) {
          config.log.debug('auth probe: token accepted or unknown', { status: response.status });
          return finish({ denied: false });
        }
        const body: unknown = await response.json().catch(() => null);
        const code = (body as { code?: unknown } | null)?.code;
        const message = (body as { message?: unknown } | null)?.message;
        finish({
          denied: true,
          code: isErrorCode(code) ? code : 'token_signature_invalid',
          message: typeof message === 'string' ? message : 'the server refused the token',
        });
      })
      .catch((error: unknown) => {
        config.log.debug('auth probe failed', { error });
        finish({ denied: false });
      });
    return () => {
      timer.unsubscribe();
      abort?.abort();
    };
  });
}
