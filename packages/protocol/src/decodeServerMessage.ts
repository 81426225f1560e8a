import type { ServerFrame } from './frames.js';

/**
 * Decodes one websocket message from the server into its frames (one, or a batch). Returns null when
 * the message is not a frame or an array of frames; the caller reports that as a protocol fault.
 * Deliberately light: the server is trusted for shapes, and this runs for every event (PERF-2).
 *
 * @example
 * for (const frame of decodeServerMessage(event.data) ?? []) handle(frame);
 */
export function decodeServerMessage(raw: string): readonly ServerFrame[] | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (Array.isArray(value)) {
    for (const item of value) if (!isFrame(item)) return null;
    return value as ServerFrame[];
  }
  return isFrame(value) ? [value as ServerFrame] : null;
}

function isFrame(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}
