import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { serverError } from '@rx-conversations/server-core';

/** Which bytes of a media a URL serves. */
export type MediaVariant = 'content' | 'preview';

/**
 * Signs and checks download URLs (MEDIA-2): an HMAC-SHA256 over the media sid, the variant and the
 * expiry, with a key every node derives alike from the configured secrets. The URL carries no token.
 */
export class MediaUrls {
  constructor(private readonly key: Buffer) {}

  /** The key derived from the server's secrets (sorted, so every node with the same keys agrees). */
  static keyFrom(secrets: ReadonlyMap<string, string>): Buffer | undefined {
    if (secrets.size === 0) return undefined;
    const hash = createHash('sha256').update('rx-conversations media urls');
    for (const [id, secret] of [...secrets].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`\n${id}\n${secret}`);
    return hash.digest();
  }

  /** The path and query of a URL valid until `expiresAt` (epoch ms, rounded up to a second). */
  path(sid: string, variant: MediaVariant, expiresAt: number): string {
    const expires = Math.ceil(expiresAt / 1000);
    return `/v1/media/${sid}/${variant}?expires=${expires}&signature=${this.sign(sid, variant, expires)}`;
  }

  /**
   * Checks a URL's query: a signature that does not verify is `media_signature_invalid` (whatever its
   * expiry says, since that is signed too), a valid one past its expiry `media_signature_expired`.
   */
  verify(sid: string, variant: MediaVariant, query: URLSearchParams, now: number): void {
    const expiresText = query.get('expires') ?? '';
    const signature = query.get('signature') ?? '';
    const expires = /^[0-9]{1,12}$/.test(expiresText) ? Number(expiresText) : NaN;
    const given = Buffer.from(signature, 'base64url');
    const expected = Number.isNaN(expires) ? undefined : Buffer.from(this.sign(sid, variant, expires), 'base64url');
    if (expected === undefined || given.length !== expected.length || !timingSafeEqual(given, expected) || given.toString('base64url') !== signature) {
      throw serverError('media_signature_invalid', 'the download URL is not validly signed');
    }
    if (expires * 1000 <= now) throw serverError('media_signature_expired', 'the download URL has expired');
  }

  private sign(sid: string, variant: MediaVariant, expires: number): string {
    return createHmac('sha256', this.key).update(`${sid}\n${variant}\n${expires}`).digest('base64url');
  }
}
