import type { WebSocket } from 'ws';
import { CLOSE_CODES, type ErrorCode } from '@rx-conversations/protocol';
import { Session, type SessionSettings } from '@rx-conversations/server-core';
import type { Logger } from 'pino';
import { OutboundQueue } from './OutboundQueue.js';

/**
 * One websocket carrying one core {@link Session} (CORE-1): the transport half. Frames go out through
 * the outbound queue (batched per tick, replay paced, slow consumers cut, PERF-2); what the frames mean
 * is the session's business.
 */
export class Connection {
  readonly session: Session;
  private readonly queue: OutboundQueue;

  constructor(
    private readonly socket: WebSocket,
    identity: string,
    tokenExpiresAt: number,
    settings: SessionSettings,
    maxBufferedBytes: number,
    private readonly logger: Logger,
    onClosed: (connection: Connection) => void,
  ) {
    this.queue = new OutboundQueue(socket, maxBufferedBytes, () => this.slowConsumer());
    this.session = new Session(
      {
        send: (frame) => this.queue.enqueue(frame),
        sendBacklog: (frames) => this.queue.enqueueBacklog(frames),
        close: (code, reason, terminate) => this.closeSocket(code, reason, terminate),
      },
      identity,
      tokenExpiresAt,
      settings,
      () => onClosed(this),
    );
    socket.on('message', (data) => this.session.receive(toBytes(data)));
    socket.on('close', (code, reason) => {
      this.queue.stop();
      this.session.closed(code, reason.toString());
    });
    socket.on('error', (err) => this.logger.debug({ err, connectionId: this.session.id }, 'socket error'));
  }

  /** Drops the socket at once (it is gone or useless). */
  terminate(): void {
    this.socket.terminate();
  }

  /** Resolves when the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.socket.readyState === this.socket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  private closeSocket(code: number, reason: string, terminate: boolean): void {
    this.queue.flush();
    this.queue.stop();
    try {
      this.socket.close(code, reason);
      if (terminate) this.socket.terminate();
    } catch (err) {
      this.logger.debug({ err }, 'close failed');
      this.socket.terminate();
    }
  }

  // The peer cannot read our close frame while its buffer is full, so terminate at once: it sees an
  // abnormal closure (or 4008 if the frame gets through), reconnects and resumes from its last seq.
  private slowConsumer(): void {
    this.logger.warn({ bufferedAmount: this.socket.bufferedAmount, connectionId: this.session.id }, 'slow consumer');
    this.session.close(CLOSE_CODES.slowConsumer, 'slow_consumer' satisfies ErrorCode, true);
  }
}

// Text and binary messages are treated alike: parseClientFrame decodes UTF-8 strictly either way.
function toBytes(data: unknown): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  return Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
}
