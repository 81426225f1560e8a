import { MediaService, resolveMediaOptions } from './MediaService.js';
import type { MediaSupport } from './MediaSupport.js';
import type { MediaOptions } from './MediaTransport.js';

/**
 * Media for the client (MEDIA-1, MEDIA-2): `sendMessage({ media })` uploads attachments over HTTP with
 * progress, cancel and retry, and `getTemporaryContentUrl` / `temporaryContentUrl$` give their signed
 * URLs. Pass it as `options.media`; bad options throw a `TypeError` at once.
 *
 * @example
 * import { ConversationsClient } from '@rx-conversations/client';
 * import { createMediaSupport } from '@rx-conversations/client/media';
 *
 * const client = new ConversationsClient(token, {
 *   url: 'wss://chat.example.com',
 *   media: createMediaSupport(), // uploads to https://chat.example.com/v1/media
 * });
 */
export function createMediaSupport(options: MediaOptions = {}): MediaSupport {
  const resolved = resolveMediaOptions(options);
  return { start: (context) => new MediaService(context, resolved) };
}
