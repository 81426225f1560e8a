import type { SchedulerLike, Subscription } from 'rxjs';
import { decodeServerMessage, type ClientFrame, type ServerFrame } from '@rx-conversations/protocol';
import type { WebSocketConstructor, WebSocketLike } from '../../ClientOptions.js';
import type { CoreLog } from './CoreLog.js';
import { heartbeatCheck } from './heartbeat.js';
import { describeFrames } from './describeFrames.js';

/** The handlers the client sets on a socket, with only the event fields it reads. */
interface HandledSocket extends WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  /** `ws` (Node) only: destroys the socket without a closing handshake. */
  terminate?: () => void;
}

const CONNECTING = 0;
const OPEN = 1;
const noop = (): void => undefined;

/** What a link reports to its owner. Never called after `dispose()`. */
export interface SocketLinkHost {
  opened(): void;
  /** The decoded frames of one websocket message, in order. */
  received(frames: readonly ServerFrame[]): void;
  /** The socket closed; `wasOpen` false means it failed before opening. */
  closed(code: number, reason: string, wasOpen: boolean): void;
  /** Nothing received for `timeoutMs` (no open, no welcome, no pong…): the socket is presumed dead. */
  timedOut(): void;
}

/** How to open one socket. */
export interface SocketLinkConfig {
  readonly WebSocket: WebSocketConstructor;
  readonly url: string;
  readonly protocols: readonly string[];
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  readonly log: CoreLog;
}

/**
 * One websocket, from construction to disposal: decodes inbound messages, writes frames, and keeps
 * the heartbeat (CONN-4). It knows nothing of requests, sequence numbers or tokens; its owner does.
 * A link is never reused: reconnecting makes a new one.
 */
export class SocketLink {
  private readonly socket: HandledSocket;
  private readonly config: SocketLinkConfig;
  private lastSentAt: number;
  private lastReceivedAt: number;
  /** Null until the handshake is done: no pings before `welcome`. */
  private pingIntervalMs: number | null = null;
  private check: Subscription;
  private wasOpen = false;
  private disposed = false;
  /** Set when the socket is presumed dead: dispose it without waiting for a closing handshake. */
  private abortOnDispose = false;

  constructor(config: SocketLinkConfig, private readonly host: SocketLinkHost) {
    this.config = config;
    const now = config.scheduler.now();
    this.lastSentAt = now;
    this.lastReceivedAt = now;
    this.socket = new config.WebSocket(config.url, [...config.protocols]) as HandledSocket;
    this.socket.onopen = () => this.onOpen();
    this.socket.onmessage = (event) => this.onMessage(event.data);
    this.socket.onclose = (event) => this.onClose(event.code, event.reason);
    this.socket.onerror = () => this.config.log.debug('socket error event');
    this.check = this.arm(config.timeoutMs);
  }

  /** Writes one frame (`text`: its JSON, when already serialised). Returns false when the socket cannot take it. */
  send(frame: ClientFrame, text: string = JSON.stringify(frame)): boolean {
    if (this.disposed || this.socket.readyState !== OPEN) return false;
    try {
      this.socket.send(text);
    } catch (error) {
      this.config.log.warn('socket send failed', { error });
      return false;
    }
    this.lastSentAt = this.config.scheduler.now();
    if (this.config.log.enabled('debug')) this.config.log.debug(`send ${describeFrames([frame])}`, { bytes: text.length });
    return true;
  }

  /** Starts pinging after `intervalMs` of outbound silence (called on `welcome`). */
  startPinging(intervalMs: number): void {
    this.pingIntervalMs = intervalMs;
    this.rearm();
  }

  /** Pings now, to learn quickly whether the socket still works (e.g. after the device came online). */
  ping(): void {
    this.send({ type: 'ping' });
  }

  /** The socket is dead: when disposed, drop it at once (no closing handshake to wait 30 s for). */
  markDead(): void {
    this.abortOnDispose = true;
  }

  /** Detaches every handler, stops the heartbeat and closes the socket (code 1000). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.check.unsubscribe();
    const socket = this.socket;
    socket.onopen = noop;
    socket.onmessage = noop;
    socket.onclose = noop;
    // A handler, not null: `ws` throws an unhandled 'error' when closing a socket still connecting.
    socket.onerror = noop;
    if (socket.readyState !== CONNECTING && socket.readyState !== OPEN) return;
    try {
      if (this.abortOnDispose && typeof socket.terminate === 'function') socket.terminate();
      else socket.close(1000, 'client closing');
    } catch (error) {
      this.config.log.debug('socket close failed', { error });
    }
  }

  private onOpen(): void {
    this.wasOpen = true;
    this.lastReceivedAt = this.config.scheduler.now();
    this.config.log.debug('socket open', { protocol: this.socket.protocol });
    this.host.opened();
  }

  private onMessage(data: unknown): void {
    this.lastReceivedAt = this.config.scheduler.now();
    if (typeof data !== 'string') {
      this.config.log.warn('ignored a binary websocket message');
      return;
    }
    const frames = decodeServerMessage(data);
    if (frames === null) {
      this.config.log.warn('ignored an undecodable websocket message', { bytes: data.length });
      return;
    }
    if (this.config.log.enabled('debug')) this.config.log.debug(`recv ${describeFrames(frames)}`, { bytes: data.length });
    this.host.received(frames);
  }

  private onClose(code: number, reason: string): void {
    if (this.disposed) return;
    this.disposed = true;
    this.check.unsubscribe();
    this.config.log.debug('socket closed', { code, reason, wasOpen: this.wasOpen });
    this.host.closed(code, reason, this.wasOpen);
  }

  private arm(delay: number): Subscription {
    return this.config.scheduler.schedule(() => this.onCheck(), delay);
  }

  private rearm(): void {
    if (this.disposed) return;
    this.check.unsubscribe();
    this.check = this.arm(this.decide().wakeInMs);
  }

  private decide(): ReturnType<typeof heartbeatCheck> {
    return heartbeatCheck({
      now: this.config.scheduler.now(),
      lastSentAt: this.lastSentAt,
      lastReceivedAt: this.lastReceivedAt,
      intervalMs: this.pingIntervalMs,
      timeoutMs: this.config.timeoutMs,
    });
  }

  private onCheck(): void {
    if (this.disposed) return;
    const decision = this.decide();
    if (decision.action === 'dead') {
      this.config.log.info('socket silent too long: presumed dead', { silentMs: this.config.scheduler.now() - this.lastReceivedAt });
      this.abortOnDispose = true;
      this.host.timedOut();
      return;
    }
    if (decision.action === 'ping') this.ping();
    this.check = this.arm(decision.wakeInMs);
  }
}
