import type { ClientFrame } from '@rx-conversations/protocol';
import { SyntheticServer } from './SyntheticServer.js';

interface Handlers {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: string }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/**
 * A websocket that never leaves the process: the client under test talks to a {@link SyntheticServer},
 * and the bench pushes pre-serialised server messages straight into the client's `onmessage`,
 * synchronously, so a timed loop measures the client's own work (parse, route, reduce, notify) and
 * nothing of the network. Replies to the client's requests arrive on a later turn, like a network's.
 */
export class InProcessTransport {
  /** Sequence number of the last durable event pushed. */
  headSeq = 0;
  private socket: (Handlers & { readyState: number }) | undefined;

  constructor(readonly server: SyntheticServer) {}

  /** The constructor to pass as `options.WebSocket`. */
  get WebSocket(): new (url: string, protocols?: string | string[]) => { readonly readyState: number; readonly protocol: string; send(data: string): void; close(code?: number, reason?: string): void } {
    const transport = this;
    return class InProcessSocket implements Handlers {
      static readonly CONNECTING = 0;
      static readonly OPEN = 1;
      static readonly CLOSING = 2;
      static readonly CLOSED = 3;
      readonly CONNECTING = 0;
      readonly OPEN = 1;
      readonly CLOSING = 2;
      readonly CLOSED = 3;
      readyState = 0;
      protocol = '';
      binaryType = 'blob';
      bufferedAmount = 0;
      onopen: Handlers['onopen'] = null;
      onmessage: Handlers['onmessage'] = null;
      onclose: Handlers['onclose'] = null;
      onerror: Handlers['onerror'] = null;

      constructor(_url: string, _protocols?: string | string[]) {
        transport.socket = this;
        setImmediate(() => {
          this.readyState = 1;
          this.protocol = 'rxc.v1';
          this.onopen?.({ type: 'open' });
        });
      }

      send(data: string): void {
        const frame = JSON.parse(data) as ClientFrame;
        const reply = frame.type === 'hello' ? transport.server.welcome(transport.headSeq) : transport.server.reply(frame, transport.headSeq);
        if (reply !== null) setImmediate(() => this.readyState === 1 && this.onmessage?.({ data: reply }));
      }

      close(code = 1000, reason = ''): void {
        if (this.readyState >= 2) return;
        this.readyState = 3;
        setImmediate(() => this.onclose?.({ code, reason, wasClean: true }));
      }
    };
  }

  /** Delivers one server message (a frame or a JSON array of frames) to the client, synchronously. */
  push(data: string): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) throw new Error('the client has no open in-process socket');
    socket.onmessage?.({ data });
  }
}
