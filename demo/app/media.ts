import { Subscription } from 'rxjs';
import type { ConversationHandle, LocalMedia, Media, MessageView } from '@rx-conversations/client';
import type { MediaInput } from '@rx-conversations/client/media';
import { h } from './render.js';

/**
 * The attachments of one open conversation's messages (MEDIA-1, MEDIA-2): a progress bar per file on
 * its way, then an inline preview for an image or a download link for anything else. Each element is
 * made once per attachment and kept across renders, so re-rendering the list neither restarts a
 * progress subscription nor asks for a URL again; `dispose()` releases them all.
 */
export class AttachmentViews {
  private readonly uploading = new WeakMap<LocalMedia, HTMLElement>();
  private readonly stored = new Map<string, HTMLElement>();
  private readonly subscriptions = new Subscription();

  constructor(private readonly chat: ConversationHandle) {}

  /** The elements showing `message`'s attachments (none when it has none). */
  of(message: MessageView): HTMLElement[] {
    if (message.media === undefined) return [];
    return message.status === 'sent' ? message.media.map((m) => this.storedView(m)) : message.media.map((m) => this.uploadingView(m));
  }

  dispose(): void {
    this.subscriptions.unsubscribe();
  }

  private uploadingView(media: LocalMedia): HTMLElement {
    let element = this.uploading.get(media);
    if (element === undefined) {
      const bar = h('progress', { 'data-testid': 'upload-progress', max: String(media.size ?? 1), value: '0' }) as HTMLProgressElement;
      element = h('span', { class: 'attachment' }, bar, h('span', { class: 'filename' }, media.filename ?? media.contentType));
      // Completes when the message is sent; a failed one keeps its last value.
      this.subscriptions.add(
        media.progress$.subscribe(({ sent, total }) => {
          if (total !== null) bar.max = total;
          bar.value = sent;
        }),
      );
      this.uploading.set(media, element);
    }
    return element;
  }

  private storedView(media: Media): HTMLElement {
    let element = this.stored.get(media.sid);
    if (element === undefined) {
      const name = media.filename ?? media.contentType;
      const link = h('a', { 'data-testid': 'media-link', target: '_blank', rel: 'noopener', download: name }, name) as HTMLAnchorElement;
      const image = media.preview === undefined ? null : (h('img', { 'data-testid': 'media-image', alt: name, width: String(media.preview.width), height: String(media.preview.height) }) as HTMLImageElement);
      element = h('span', { class: 'attachment', 'data-media-sid': media.sid }, ...(image === null ? [link] : [h('a', { target: '_blank', rel: 'noopener' }, image)]));
      // Renewed before they expire, for as long as the conversation is open (MEDIA-2).
      this.subscriptions.add(
        this.chat.temporaryContentUrl$(media.sid).subscribe({
          next: ({ url, previewUrl }) => {
            link.href = url;
            if (image !== null) {
              image.src = previewUrl ?? url;
              (image.parentElement as HTMLAnchorElement).href = url;
            }
          },
          error: () => element!.classList.add('unavailable'),
        }),
      );
      this.stored.set(media.sid, element);
    }
    return element;
  }
}

/** Files picked, dropped or pasted, as `sendMessage`'s `media`. */
export function attachmentsOf(files: FileList | readonly File[] | null | undefined): MediaInput[] {
  return Array.from(files ?? [])
    .slice(0, 10)
    .map((file) => ({ contentType: file.type || 'application/octet-stream', filename: file.name || undefined, data: file }));
}
