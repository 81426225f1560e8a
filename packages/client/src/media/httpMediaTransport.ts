import type { MediaHttpAnswer, MediaTransport, MediaUploadRequest } from './MediaTransport.js';

/** Bytes per chunk of a streamed `fetch` upload: progress moves this coarsely. */
const CHUNK = 64 * 1024;

const parse = (status: number, text: string): MediaHttpAnswer => {
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): the status alone says what happened.
  }
  return { status, body };
};

const abortError = (): Error => Object.assign(new Error('the upload was aborted'), { name: 'AbortError' });

/** Browsers: XHR, whose `upload.onprogress` is the only way to see an upload's progress. */
function xhrUpload(request: MediaUploadRequest): Promise<MediaHttpAnswer> {
  return new Promise((resolve, reject) => {
    const { signal } = request;
    if (signal.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    xhr.open('POST', request.url);
    xhr.setRequestHeader('authorization', `Bearer ${request.token}`);
    xhr.setRequestHeader('content-type', request.contentType);
    xhr.upload.onprogress = (e) => request.onProgress(e.loaded);
    xhr.onload = () => {
      signal.removeEventListener('abort', onAbort);
      resolve(parse(xhr.status, xhr.responseText));
    };
    xhr.onerror = xhr.ontimeout = () => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error('the upload failed on the network'));
    };
    xhr.onabort = () => reject(abortError());
    signal.addEventListener('abort', onAbort);
    xhr.send(request.body as XMLHttpRequestBodyInit);
  });
}

/** Node (undici) and other hosts without XHR: the body as a stream, counted as fetch pulls it. */
async function fetchUpload(request: MediaUploadRequest): Promise<MediaHttpAnswer> {
  const { body } = request;
  const size = body instanceof Uint8Array ? body.byteLength : body.size;
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= size) {
        controller.close();
        return;
      }
      const end = Math.min(size, sent + CHUNK);
      const chunk = body instanceof Uint8Array ? body.subarray(sent, end) : new Uint8Array(await body.slice(sent, end).arrayBuffer());
      controller.enqueue(chunk);
      sent = end;
      request.onProgress(sent);
    },
  });
  const res = await fetch(request.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${request.token}`, 'content-type': request.contentType, 'content-length': String(size) },
    body: stream,
    signal: request.signal,
    duplex: 'half',
  } as RequestInit);
  return parse(res.status, await res.text());
}

/**
 * The default {@link MediaTransport}: `XMLHttpRequest` for uploads where it exists (browsers), else
 * `fetch` with a streamed body (Node 20+); `fetch` for the signed-URL request. No Node built-ins.
 */
export const httpMediaTransport: MediaTransport = {
  upload: (request) => (typeof XMLHttpRequest === 'function' ? xhrUpload(request) : fetchUpload(request)),
  async get({ url, token, signal }) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
    return parse(res.status, await res.text());
  },
};
