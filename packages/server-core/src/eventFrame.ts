import type { LoggedEvent } from './Store.js';

/**
 * The event frame of a logged event, assembled around its stored payload: serialised once however
 * many connections receive it, and replay never parses what it only forwards (CORE-2).
 */
export function eventFrame(event: LoggedEvent): string {
  const stream = event.conversationSid === null ? '' : `"stream":${JSON.stringify(event.conversationSid)},`;
  return `{"type":"ev","seq":${event.seq},"prev":${event.prev},${stream}"kind":"${event.kind}","data":${event.payload},"at":${event.at}}`;
}
