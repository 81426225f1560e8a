// A `WebSocket` constructor for one client that records and can hold what crosses the wire, built on
// the real `ws` socket. Tests count requests by op (STORE-8), hold a request back to let another
// client act meanwhile (network latency), hold replies and events and then deliver them as one
// websocket message (what the server's outbound batching does when both are queued in one tick), or
// cut the connection (a network drop, not a clean close).
import WebSocket from 'ws';
import { BehaviorSubject, filter, firstValueFrom, Subject, throwError, timeout, type Observable } from 'rxjs';
import { decodeServerMessage, type RequestFrame, type ServerFrame } from '@rx-conversations/protocol';
import type { WebSocketConstructor, WebSocketLike } from '../../src/index.js';

type Handler<E> = ((event: E) => void) | null;

/** Outgoing frames held back on one socket until `release()`; later frames wait behind them, in order. */
export interface HeldRequest {
  /** Resolves with the held request once the client has sent it. */
  readonly sent: Promise<RequestFrame>;
  /** Sends the held request and everything queued behind it. */
  release(): void;
}

/** Inbound websocket messages held back on one socket. */
export interface HeldInbound {
  /** Resolves once the socket is holding (the arming request was sent). */
  readonly armed: Promise<void>;
  /** Frames received and held so far, in wire order. */
  readonly frames: readonly ServerFrame[];
  /** Resolves once a held frame satisfies `predicate` (already held or later). */
  until(predicate: (frame: ServerFrame) => boolean): Promise<ServerFrame>;
  /** Delivers every held frame as one websocket message (a JSON array), then stops holding. */
  release(): void;
  /** Cuts the socket without delivering what was held: the frames are lost with the connection. */
  dropConnection(): void;
}

export interface WireTap {
  /** Pass as `options.WebSocket`. */
  readonly WebSocket: WebSocketConstructor;
  /** Every request the client sent, in order, over all its sockets. */
  readonly requests: readonly RequestFrame[];
  /** Emits each request as it is written. */
  readonly sent$: Observable<RequestFrame>;
  /** Every inbound frame, in wire order, as it reached a socket (before any hold). */
  readonly received: readonly ServerFrame[];
  /** Emits each inbound frame as it reaches a socket (before any hold). */
  readonly received$: Observable<ServerFrame>;
  /** The first inbound frame, already received or later, that satisfies `predicate`; rejects after `ms`. */
  whenReceived(predicate: (frame: ServerFrame) => boolean, what: string, ms?: number): Promise<ServerFrame>;
  /** Number of requests sent with `op`, live. */
  count$(op: string): Observable<number>;
  count(op: string): number;
  /** Holds the next request matching `predicate` (and all later frames of its socket) until released. */
  holdRequest(predicate: (frame: RequestFrame) => boolean): HeldRequest;
  /** From the moment a request matching `predicate` is written, holds that socket's inbound messages. */
  holdInboundAfter(predicate: (frame: RequestFrame) => boolean): HeldInbound;
  /** Holds the inbound messages of the socket open now (the latest one), from now on. */
  holdInboundNow(): HeldInbound;
  /** Cuts every open socket of this client (no closing handshake): the server and client see a drop. */
  dropAll(): void;
  /** Sockets opened so far. */
  readonly opened: number;
}

interface OutboundHold {
  readonly predicate: (frame: RequestFrame) => boolean;
  socket: TappedSocket | null;
  readonly queue: string[];
  resolveSent(frame: RequestFrame): void;
}

interface InboundHold {
  readonly predicate: (frame: RequestFrame) => boolean;
  socket: TappedSocket | null;
  readonly frames: ServerFrame[];
  readonly waiters: Array<{ predicate: (frame: ServerFrame) => boolean; resolve: (frame: ServerFrame) => void }>;
  resolveArmed(): void;
  done: boolean;
}

interface TappedSocket extends WebSocketLike {
  deliver(data: string): void;
  rawSend(data: string): void;
  terminate(): void;
}

export function createWireTap(): WireTap {
  const requests: RequestFrame[] = [];
  const sent$ = new Subject<RequestFrame>();
  const received: ServerFrame[] = [];
  const received$ = new Subject<ServerFrame>();
  const counts = new Map<string, BehaviorSubject<number>>();
  const outboundHolds: OutboundHold[] = [];
  const inboundHolds: InboundHold[] = [];
  const open = new Set<TappedSocket>();
  let opened = 0;

  const counter = (op: string): BehaviorSubject<number> => {
    let c = counts.get(op);
    if (c === undefined) {
      c = new BehaviorSubject(0);
      counts.set(op, c);
    }
    return c;
  };

  const record = (data: string): void => {
    const frame = JSON.parse(data) as { type: string };
    if (frame.type !== 'req') return;
    const req = frame as RequestFrame;
    requests.push(req);
    const c = counter(req.op);
    c.next(c.value + 1);
    sent$.next(req);
  };

  const write = (socket: TappedSocket, data: string): void => {
    const frame = JSON.parse(data) as { type: string };
    for (const hold of inboundHolds) {
      if (hold.socket === null && !hold.done && frame.type === 'req' && hold.predicate(frame as RequestFrame)) {
        hold.socket = socket;
        hold.resolveArmed();
      }
    }
    record(data);
    socket.rawSend(data);
  };

  const outbound = (socket: TappedSocket, data: string): void => {
    const active = outboundHolds.find((h) => h.socket === socket);
    if (active !== undefined) {
      active.queue.push(data);
      return;
    }
    const frame = JSON.parse(data) as { type: string };
    const hold = frame.type === 'req' ? outboundHolds.find((h) => h.socket === null && h.predicate(frame as RequestFrame)) : undefined;
    if (hold !== undefined) {
      hold.socket = socket;
      hold.queue.push(data);
      hold.resolveSent(frame as RequestFrame);
      return;
    }
    write(socket, data);
  };

  const inbound = (socket: TappedSocket, data: string): void => {
    const frames = decodeServerMessage(data) ?? [];
    for (const f of frames) {
      received.push(f);
      received$.next(f);
    }
    const hold = inboundHolds.find((h) => h.socket === socket && !h.done);
    if (hold === undefined) {
      socket.deliver(data);
      return;
    }
    for (const f of frames) {
      hold.frames.push(f);
      for (const w of [...hold.waiters]) {
        if (w.predicate(f)) {
          hold.waiters.splice(hold.waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    }
  };

  class TapSocket implements TappedSocket {
    onopen: Handler<unknown> = null;
    onmessage: Handler<{ data: unknown }> = null;
    onclose: Handler<{ code: number; reason: string }> = null;
    onerror: Handler<unknown> = null;
    private readonly inner: WebSocket;

    constructor(url: string, protocols?: string | string[]) {
      this.inner = new WebSocket(url, protocols);
      opened += 1;
      open.add(this);
      this.inner.onopen = (e) => this.onopen?.(e);
      this.inner.onmessage = (e) => inbound(this, String(e.data));
      this.inner.onclose = (e) => {
        open.delete(this);
        this.onclose?.({ code: e.code, reason: e.reason });
      };
      this.inner.onerror = (e) => this.onerror?.(e);
    }
    get readyState(): number {
      return this.inner.readyState;
    }
    get protocol(): string {
      return this.inner.protocol;
    }
    send(data: string): void {
      outbound(this, data);
    }
    close(code?: number, reason?: string): void {
      this.inner.close(code, reason);
    }
    terminate(): void {
      this.inner.terminate();
    }
    deliver(data: string): void {
      this.onmessage?.({ data });
    }
    rawSend(data: string): void {
      if (this.inner.readyState === WebSocket.OPEN) this.inner.send(data);
    }
  }

  return {
    WebSocket: TapSocket,
    requests,
    sent$: sent$.asObservable(),
    received,
    received$: received$.asObservable(),
    whenReceived(predicate, what, ms = 5_000) {
      const found = received.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return firstValueFrom(
        received$.pipe(
          filter(predicate),
          timeout({ first: ms, with: () => throwError(() => new Error(`timed out after ${ms} ms waiting for ${what}`)) }),
        ),
      );
    },
    count$: (op) => counter(op).asObservable(),
    count: (op) => counter(op).value,
    get opened() {
      return opened;
    },
    holdRequest(predicate) {
      let resolveSent!: (frame: RequestFrame) => void;
      const sent = new Promise<RequestFrame>((resolve) => (resolveSent = resolve));
      const hold: OutboundHold = { predicate, socket: null, queue: [], resolveSent };
      outboundHolds.push(hold);
      return {
        sent,
        release() {
          outboundHolds.splice(outboundHolds.indexOf(hold), 1);
          const socket = hold.socket;
          if (socket === null) return;
          for (const data of hold.queue.splice(0)) write(socket, data);
        },
      };
    },
    holdInboundAfter(predicate) {
      return inboundHold(predicate, null);
    },
    holdInboundNow() {
      const socket = [...open].pop();
      if (socket === undefined) throw new Error('holdInboundNow: no open socket');
      return inboundHold(() => false, socket);
    },
    dropAll() {
      for (const socket of [...open]) socket.terminate();
    },
  };

  function inboundHold(predicate: (frame: RequestFrame) => boolean, socket: TappedSocket | null): HeldInbound {
    let resolveArmed!: () => void;
    const armed = new Promise<void>((resolve) => (resolveArmed = resolve));
    const hold: InboundHold = { predicate, socket, frames: [], waiters: [], resolveArmed, done: false };
    if (socket !== null) resolveArmed();
    inboundHolds.push(hold);
    const finish = (): void => {
      hold.done = true;
      inboundHolds.splice(inboundHolds.indexOf(hold), 1);
    };
    return {
      armed,
      frames: hold.frames,
      until(p) {
        const found = hold.frames.find(p);
        if (found !== undefined) return Promise.resolve(found);
        return new Promise((resolve) => hold.waiters.push({ predicate: p, resolve }));
      },
      release() {
        finish();
        if (hold.socket !== null && hold.frames.length > 0) hold.socket.deliver(JSON.stringify(hold.frames));
      },
      dropConnection() {
        finish();
        hold.socket?.terminate();
      },
    };
  }
}
