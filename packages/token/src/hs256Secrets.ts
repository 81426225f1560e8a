import type { TokenKeys, TokenSecrets } from './TokenKeys.js';
import { readTokenKeys } from './internal/readTokenKeys.js';

/**
 * The HS256 secrets by key id among `keys`, in either of the forms `verifyAccessToken` takes (the
 * `{ [keyId]: secret }` shorthand, or `TokenKeys`): for a server that also lets those keys sign in
 * elsewhere, such as Basic auth to an admin API with `SK…:secret`. Throws `TypeError` for keys that
 * `verifyAccessToken` would refuse.
 *
 * @example
 * hs256Secrets({ secrets: { SK1: secret }, jwks }); // { SK1: secret }
 * hs256Secrets({ SK1: secret }); // { SK1: secret }
 */
export function hs256Secrets(keys: TokenKeys | TokenSecrets): TokenSecrets {
  return readTokenKeys(keys).secrets;
}
