// Public API of @rx-conversations/client/media: sending files and their signed URLs (MEDIA-1, MEDIA-2),
// kept out of the main entry so apps that send no files do not pay for it (PERF-7).
export { createMediaSupport } from './media/createMediaSupport.js';
export { httpMediaTransport } from './media/httpMediaTransport.js';
export type { MediaHttpAnswer, MediaOptions, MediaTransport, MediaUploadRequest } from './media/MediaTransport.js';
export type { MediaContext, MediaRuntime, MediaSupport } from './media/MediaSupport.js';
export type { MediaData, MediaInput, TemporaryMediaUrls } from './media/MediaInput.js';
export type { LocalMedia, MediaProgress } from './MessageView.js';
