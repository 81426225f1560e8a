import { LIMITS } from '@rx-conversations/protocol';
import type { MediaData, MediaInput } from './MediaInput.js';

const fail = (message: string): never => {
  throw new TypeError(`sendMessage: ${message}`);
};

const isStream = (d: object): d is ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> =>
  typeof (d as ReadableStream).getReader === 'function' || typeof (d as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';

/** Checks `sendMessage`'s `media` (programmer misuse is a `TypeError`, thrown at once). */
export function checkMediaInputs(media: unknown): readonly MediaInput[] {
  if (!Array.isArray(media) || media.length === 0 || media.length > LIMITS.maxMediaPerMessage) {
    fail(`media must be an array of 1 to ${LIMITS.maxMediaPerMessage} attachments`);
  }
  for (const [i, m] of (media as Partial<MediaInput>[]).entries()) {
    if (m === null || typeof m !== 'object') fail(`media[${i}] must be an object`);
    if (typeof m.contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(m.contentType)) fail(`media[${i}].contentType must be a type such as image/png`);
    if (m.filename !== undefined && (typeof m.filename !== 'string' || m.filename === '')) fail(`media[${i}].filename must be a non-empty string`);
    const d = m.data as unknown;
    if (!(d instanceof Blob || d instanceof ArrayBuffer || d instanceof Uint8Array || (d !== null && typeof d === 'object' && isStream(d)))) {
      fail(`media[${i}].data must be a Blob, ArrayBuffer, Uint8Array or stream`);
    }
  }
  return media as readonly MediaInput[];
}

/** The size of `data`, when known without reading it. */
export function sizeOf(data: MediaData): number | null {
  return data instanceof Blob ? data.size : data instanceof ArrayBuffer || data instanceof Uint8Array ? data.byteLength : null;
}

/** `data` as bytes a transport can send; a stream is read to its end (the server needs the size first). */
export async function uploadBody(data: MediaData): Promise<Blob | Uint8Array> {
  if (data instanceof Blob || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const chunks: Uint8Array[] = [];
  if ('getReader' in data) {
    // Not `for await`: Safari's ReadableStream is not async iterable.
    const reader = data.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  } else {
    for await (const chunk of data) chunks.push(chunk);
  }
  return new Blob(chunks as BlobPart[]);
}
