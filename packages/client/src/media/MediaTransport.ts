/** One upload, as the client hands it to a {@link MediaTransport} (MEDIA-1). */
export interface MediaUploadRequest {
  /** `POST` here: `<origin>/v1/media?conversationSid=…[&filename=…]`. */
  readonly url: string;
  /** The access token, for `Authorization: Bearer` (never in the URL). */
  readonly token: string;
  /** The file's declared type, for `Content-Type`. */
  readonly contentType: string;
  /** The bytes; their length is the request's `Content-Length`. */
  readonly body: Blob | Uint8Array;
  /** Aborted when the app cancels the send or the client shuts down: stop and reject. */
  readonly signal: AbortSignal;
  /** Call with the bytes sent so far, as often as the transport knows. */
  onProgress(sentBytes: number): void;
}

/** An HTTP answer: its status and its JSON body (null when it had none). */
export interface MediaHttpAnswer {
  /** The HTTP status (201 for a stored upload, 200 for URLs). */
  readonly status: number;
  /** The parsed JSON body; null when there was none or it was not JSON. */
  readonly body: unknown;
}

/**
 * How the client talks HTTP to the media endpoints (MEDIA-1, MEDIA-2): the upload and the signed-URL
 * request. The default uses `XMLHttpRequest` where it exists (browsers: it reports upload progress,
 * which `fetch` cannot) and `fetch` otherwise (Node 20+). Inject another to route uploads through your
 * own proxy or, in tests, to the test kit's `FakeServer` (`fake.mediaTransport`).
 *
 * @example
 * const client = new ConversationsClient(fake.tokenFor('alice'), {
 *   url: fake.url,
 *   WebSocket: fake.WebSocket,
 *   media: { transport: fake.mediaTransport },
 * });
 */
export interface MediaTransport {
  /** POSTs the bytes; resolves with the answer (any status), rejects only when no answer came. */
  upload(request: MediaUploadRequest): Promise<MediaHttpAnswer>;
  /** GETs `url` with the token in `Authorization: Bearer`; resolves with the answer (any status). */
  get(request: { readonly url: string; readonly token: string; readonly signal?: AbortSignal }): Promise<MediaHttpAnswer>;
}

/** Media settings of the client (`options.media`). */
export interface MediaOptions {
  /**
   * The HTTP(S) origin of the media endpoints. Default: the websocket URL's own (`wss://host` →
   * `https://host`). Set it when your app proxies uploads elsewhere.
   */
  readonly url?: string;
  /** Default: `XMLHttpRequest` in browsers, `fetch` in Node. */
  readonly transport?: MediaTransport;
  /** `temporaryContentUrl$` renews a URL this long before it expires. Default 30,000 ms. */
  readonly urlRenewLeadMs?: number;
}
