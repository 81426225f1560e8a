// `@rx-conversations/client/media`: media support, a separate entry point so apps that send no files
// do not carry the upload code (PERF-7). Explicit names only.
export { createMediaSupport } from './createMediaSupport.js';
export { httpMediaTransport } from './httpMediaTransport.js';
export type { MediaHttpAnswer, MediaOptions, MediaTransport, MediaUploadRequest } from './MediaTransport.js';
export type { MediaContext, MediaRuntime, MediaSupport } from './MediaSupport.js';
export type { MediaData, MediaInput, TemporaryMediaUrls } from './MediaInput.js';
