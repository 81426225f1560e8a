import type { Media } from '@rx-conversations/protocol';
import type { Core } from '../Core.js';
import { toMedia, type MediaRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { Step } from '../Step.js';

/** What an upload stored, to be recorded by {@link mediaOps.recordUpload}. */
export interface StoredUpload {
  readonly sid: string;
  readonly conversationSid: string;
  readonly author: string;
  readonly contentType: string;
  readonly filename: string | null;
  readonly size: number;
  readonly preview: Media['preview'] | null;
}

/**
 * The rules of media that do not depend on transport or storage (MEDIA-1..4): who may upload to a
 * conversation, the quota, who may read a media, and which uploads are due for deletion. The server's
 * HTTP endpoints call these; the bytes themselves never reach the core.
 */
export const mediaOps = {
  /**
   * Checks that `identity` may upload `size` bytes to the conversation now: a participant, and within the
   * quota counting `inFlight` bytes of their uploads still arriving. Returns the bytes they already store.
   */
  *authorizeUpload(core: Core, identity: string, conversationSid: string, size: number, quota: number, inFlight: number): Step<number> {
    return yield* core.store.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: conversationSid });
      yield* core.requireParticipant(tx, conversation, identity);
      const used = yield* tx.mediaBytesOf(identity);
      if (used + inFlight + size > quota) {
        throw serverError('media_quota_exceeded', 'this upload would exceed your media quota', { limit: quota });
      }
      return used;
    });
  },

  /**
   * Records a stored upload, unattached until `graceMs` from now. Checks again, in the transaction, that
   * the uploader is still a participant and within the quota (another node may have stored meanwhile):
   * a refusal means the caller must delete the bytes.
   */
  *recordUpload(core: Core, upload: StoredUpload, quota: number, graceMs: number): Step<Media> {
    const now = core.clock();
    return yield* core.store.write(function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: upload.conversationSid });
      yield* core.requireParticipant(tx, conversation, upload.author);
      if ((yield* tx.mediaBytesOf(upload.author)) + upload.size > quota) {
        throw serverError('media_quota_exceeded', 'this upload would exceed your media quota', { limit: quota });
      }
      const row: MediaRow = {
        sid: upload.sid,
        conversation_sid: upload.conversationSid,
        author: upload.author,
        content_type: upload.contentType,
        filename: upload.filename,
        size: upload.size,
        preview: upload.preview === null || upload.preview === undefined ? null : JSON.stringify(upload.preview),
        created_at: now,
        message_sid: null,
        delete_after: now + graceMs,
      };
      yield* tx.insertMedia(row);
      return toMedia(row);
    });
  },

  /**
   * The media `identity` may read: a participant of its conversation (MEDIA-2). Unknown, deleted or due
   * media is `media_not_found`; a non-participant gets `not_a_participant`.
   */
  *mediaFor(core: Core, identity: string, sid: string): Step<Media & { readonly conversationSid: string }> {
    const now = core.clock();
    return yield* core.store.read(function* (tx) {
      const row = yield* tx.getMedia(sid);
      if (row === undefined || (row.delete_after !== null && row.delete_after <= now)) throw serverError('media_not_found', 'no media has this sid');
      const conversation = yield* core.findConversation(tx, { sid: row.conversation_sid });
      yield* core.requireParticipant(tx, conversation, identity);
      return { ...toMedia(row), conversationSid: row.conversation_sid };
    });
  },

  /** A media row as stored, whether or not it is due (the download path checks the signature first). */
  *storedMedia(core: Core, sid: string): Step<MediaRow | undefined> {
    const now = core.clock();
    return yield* core.store.read(function* (tx) {
      const row = yield* tx.getMedia(sid);
      return row === undefined || (row.delete_after !== null && row.delete_after <= now) ? undefined : row;
    });
  },

  /**
   * Takes up to `limit` media due for deletion out of the store (MEDIA-4): never attached within the
   * grace time, or whose message or conversation was removed. The caller deletes their bytes after
   * this commit, so an attach can never point at deleted bytes.
   */
  *takeExpired(core: Core, limit: number): Step<MediaRow[]> {
    const now = core.clock();
    return yield* core.store.write((tx) => tx.takeExpiredMedia(now, limit));
  },
};
