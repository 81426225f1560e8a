import { createAccessToken } from '@rx-conversations/token';

/** The key the test servers trust. */
export const KEY_ID = 'SKtest0000000000000000000000000000';
export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const KEYS = { [KEY_ID]: SECRET };

/** A valid token for `identity` (options passed through to createAccessToken). */
export function tokenFor(identity: string, options: { ttlSeconds?: number; now?: () => number; secret?: string; keyId?: string } = {}): Promise<string> {
  return createAccessToken({
    identity,
    keyId: options.keyId ?? KEY_ID,
    secret: options.secret ?? SECRET,
    ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
