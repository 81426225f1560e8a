import { createAccessToken, type TokenSecrets } from '@rx-conversations/token';

/** The key every bench server trusts and every bench token is signed with. */
export const BENCH_KEY_ID = 'SKbench00000000000000000000000000';
const BENCH_SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';

/** The server side of {@link mintToken}. */
export const BENCH_KEYS: TokenSecrets = { [BENCH_KEY_ID]: BENCH_SECRET };

/** A valid one-hour token for `identity`. */
export function mintToken(identity: string): Promise<string> {
  return createAccessToken({ identity, keyId: BENCH_KEY_ID, secret: BENCH_SECRET, ttlSeconds: 3600 });
}
