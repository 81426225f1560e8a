/**
 * The shape of the client's `MediaTransport` (`@rx-conversations/client/media`), which the test kit
 * implements without depending on the client: {@link FakeServer.mediaTransport} fits
 * `createMediaSupport({ transport })`.
 */
export interface FakeMediaTransport {
  upload(request: {
    readonly url: string;
    readonly token: string;
    readonly contentType: string;
    readonly body: Blob | Uint8Array;
    readonly signal: AbortSignal;
    onProgress(sentBytes: number): void;
  }): Promise<{ readonly status: number; readonly body: unknown }>;
  get(request: { readonly url: string; readonly token: string; readonly signal?: AbortSignal }): Promise<{ readonly status: number; readonly body: unknown }>;
}
