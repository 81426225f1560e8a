import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '@rx-conversations/protocol';

/**
 * Refuses a websocket upgrade with a plain HTTP response before any websocket exists (SRV-2): the status,
 * `x-rxc-error: <code>` and a JSON body `{ code }`, then the socket is closed.
 */
export function abortHandshake(socket: Duplex, status: number, code: ErrorCode): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ code });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-rxc-error: ${code}\r\n` +
      'Access-Control-Allow-Origin: *\r\n' +
      'Access-Control-Expose-Headers: x-rxc-error\r\n' +
      `\r\n${body}`,
  );
}
