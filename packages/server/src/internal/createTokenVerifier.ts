import type { ErrorCode } from '@rx-conversations/protocol';
import { TokenError, verifyAccessToken, type TokenKeys, type TokenSecrets } from '@rx-conversations/token';
import { ServerError } from '@rx-conversations/server-core';

/** What the server keeps of a verified token. */
export interface VerifiedToken {
  readonly identity: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** Verifies a token or throws a {@link ServerError} carrying the token's error code. */
export type TokenVerifier = (token: unknown) => Promise<VerifiedToken>;

/**
 * The single place that knows the token package's API: every caller gets epoch-ms expiry and a
 * ServerError with a wire code, so a change in `@rx-conversations/token` touches only this file.
 */
export function createTokenVerifier(keys: TokenKeys | TokenSecrets, clock: () => number): TokenVerifier {
  return async (token) => {
    try {
      const verified = await verifyAccessToken(token, keys, { now: clock });
      return { identity: verified.identity, expiresAt: verified.expiresAt * 1000 };
    } catch (err) {
      if (err instanceof TokenError) throw new ServerError(err.code as ErrorCode, err.message);
      // Misconfiguration (bad keys) is our fault, not the client's: surface it as such.
      throw err;
    }
  };
}
