/**
 * How a {@link FakeWebSocket} reaches its server. One per {@link FakeServer}.
 * @internal
 */
export interface FakeSocketLink {
  /** Runs `work` later, like the network would (a microtask, or the server's scheduler). */
  schedule(work: () => void): void;
  /** The opening handshake: the server calls `_open` or `_fail` on the socket. */
  connect(socket: FakeWebSocket): void;
  receive(socket: FakeWebSocket, data: string | Uint8Array): void;
  /** The client closed the socket. */
  disconnect(socket: FakeWebSocket, code: number, reason: string): void;
}

type Listener = EventListenerOrEventListenerObject;
interface Registration {
  readonly listener: Listener;
  readonly once: boolean;
}

/**
 * The constructor type of `FakeServer.WebSocket`: what `new WebSocket(url, protocols)` is in a
 * browser, so it can be passed wherever a `WebSocket` constructor is expected.
 */
export interface FakeWebSocketConstructor {
  new (url: string | URL, protocols?: string | string[]): FakeWebSocket;
  readonly prototype: FakeWebSocket;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
}

/**
 * An in-process stand-in for the WHATWG `WebSocket`, connected to a {@link FakeServer} instead of
 * the network. It behaves as a browser socket does where clients can tell: events arrive
 * asynchronously, `send()` while connecting throws `InvalidStateError`, a failed handshake fires
 * `error` then `close` with code 1006, `close()` with a reserved code throws `InvalidAccessError`.
 * Construct it through `fake.WebSocket`, never directly.
 *
 * @example
 * ```ts
 * import { FakeServer } from '@rx-conversations/testing';
 *
 * const fake = new FakeServer();
 * const socket = new fake.WebSocket(fake.url, ['rxc.v1', 'rxc.auth.' + fake.tokenFor('alice')]);
 * socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', v: 2 }));
 * socket.onmessage = (event) => console.log(event.data); // {"type":"welcome",...}
 * ```
 */
export class FakeWebSocket implements WebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readonly url: string;
  /** The subprotocols offered, as given to the constructor. */
  readonly protocols: readonly string[];
  binaryType: BinaryType = 'blob';
  readonly bufferedAmount = 0;
  readonly extensions = '';
  private _protocol = '';
  private _readyState: 0 | 1 | 2 | 3 = 0;
  private readonly listeners = new Map<string, Registration[]>();

  onopen: ((this: WebSocket, ev: Event) => unknown) | null = null;
  onmessage: ((this: WebSocket, ev: MessageEvent) => unknown) | null = null;
  onerror: ((this: WebSocket, ev: Event) => unknown) | null = null;
  onclose: ((this: WebSocket, ev: CloseEvent) => unknown) | null = null;

  /** @internal */
  constructor(url: string | URL, protocols: string | string[] | undefined, private readonly link: FakeSocketLink) {
    this.url = String(url);
    this.protocols = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
    if (new Set(this.protocols).size !== this.protocols.length) {
      throw new DOMException('The subprotocol list contains duplicates', 'SyntaxError');
    }
    link.schedule(() => link.connect(this));
  }

  get readyState(): 0 | 1 | 2 | 3 {
    return this._readyState;
  }

  /** The subprotocol the server selected (`rxc.v1`), empty until open. */
  get protocol(): string {
    return this._protocol;
  }

  send(data: Parameters<WebSocket['send']>[0]): void {
    if (this._readyState === 0) throw new DOMException('Still in CONNECTING state.', 'InvalidStateError');
    if (this._readyState !== 1) return; // browsers silently discard after close
    const payload = typeof data === 'string' ? data : toBytes(data);
    this.link.schedule(() => this.link.receive(this, payload));
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
    }
    if (this._readyState === 2 || this._readyState === 3) return;
    if (this._readyState === 0) {
      // Closing before the handshake completes fails the connection, as browsers do.
      this._readyState = 2;
      this.link.schedule(() => this._fail());
      return;
    }
    this._readyState = 2;
    this.link.schedule(() => {
      this.link.disconnect(this, code ?? 1005, reason ?? '');
      this._close(code ?? 1005, reason ?? '', true);
    });
  }

  /**
   * Destroys the connection at once, as `ws`'s `terminate()` does in Node: the server sees it drop and
   * the socket closes with 1006. (Not part of the browser API; clients feature-test for it.)
   */
  terminate(): void {
    if (this._readyState === 3) return;
    if (this._readyState === 0) {
      this._readyState = 2;
      this.link.schedule(() => this._fail());
      return;
    }
    this._readyState = 2;
    this.link.schedule(() => {
      this.link.disconnect(this, 1006, '');
      this._close(1006, '', false);
    });
  }

  addEventListener<K extends keyof WebSocketEventMap>(type: K, listener: (this: WebSocket, ev: WebSocketEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: Listener | null, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: Listener | ((this: WebSocket, ev: never) => unknown) | null, options?: boolean | AddEventListenerOptions): void {
    if (listener === null) return;
    const registrations = this.listeners.get(type) ?? [];
    if (registrations.some((r) => r.listener === listener)) return;
    registrations.push({ listener: listener as Listener, once: typeof options === 'object' && options.once === true });
    this.listeners.set(type, registrations);
  }

  removeEventListener<K extends keyof WebSocketEventMap>(type: K, listener: (this: WebSocket, ev: WebSocketEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: Listener | null, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: Listener | ((this: WebSocket, ev: never) => unknown) | null): void {
    const registrations = this.listeners.get(type);
    if (registrations === undefined) return;
    this.listeners.set(type, registrations.filter((r) => r.listener !== listener));
  }

  dispatchEvent(event: Event): boolean {
    const handler = { open: this.onopen, message: this.onmessage, error: this.onerror, close: this.onclose }[event.type];
    if (typeof handler === 'function') invoke(() => (handler as (this: WebSocket, ev: Event) => unknown).call(this, event));
    for (const registration of [...(this.listeners.get(event.type) ?? [])]) {
      if (registration.once) this.removeEventListener(event.type, registration.listener);
      const { listener } = registration;
      invoke(() => (typeof listener === 'function' ? listener.call(this, event) : listener.handleEvent(event)));
    }
    return true;
  }

  /** @internal The server accepted the handshake. */
  _open(protocol: string): void {
    if (this._readyState !== 0) return;
    this._readyState = 1;
    this._protocol = protocol;
    this.dispatchEvent(makeEvent('open', this, {}));
  }

  /** @internal A message from the server. */
  _message(data: string): void {
    if (this._readyState !== 1) return;
    this.dispatchEvent(makeEvent('message', this, { data, origin: new URL(this.url).origin, lastEventId: '', ports: [], source: null }));
  }

  /** @internal The connection failed (handshake refused, network down): `error`, then `close` 1006. */
  _fail(): void {
    if (this._readyState === 3) return;
    this._readyState = 3;
    this.dispatchEvent(makeEvent('error', this, {}));
    this.dispatchEvent(makeEvent('close', this, { code: 1006, reason: '', wasClean: false }));
  }

  /** @internal The connection closed. */
  _close(code: number, reason: string, wasClean: boolean): void {
    if (this._readyState === 3) return;
    this._readyState = 3;
    if (!wasClean) this.dispatchEvent(makeEvent('error', this, {}));
    this.dispatchEvent(makeEvent('close', this, { code, reason, wasClean }));
  }
}

function toBytes(data: Exclude<Parameters<WebSocket['send']>[0], string>): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('FakeWebSocket.send: Blob and SharedArrayBuffer payloads are not supported; send a string');
}

/** Listener errors must not break delivery to other listeners; surface them like a browser would. */
function invoke(call: () => unknown): void {
  try {
    call();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * Plain event objects: global `Event`/`CloseEvent` constructors differ between browsers, jsdom and
 * Node (which has no `CloseEvent` before v23), and their `target` cannot be set outside dispatch.
 */
function makeEvent<T extends Event>(type: string, target: FakeWebSocket, fields: Record<string, unknown>): T {
  const noop = (): void => undefined;
  return {
    type,
    target,
    currentTarget: target,
    srcElement: target,
    bubbles: false,
    cancelable: false,
    composed: false,
    defaultPrevented: false,
    eventPhase: 2,
    isTrusted: true,
    timeStamp: 0,
    preventDefault: noop,
    stopPropagation: noop,
    stopImmediatePropagation: noop,
    composedPath: () => [target],
    ...fields,
  } as unknown as T;
}
