import WebSocket from 'ws';
import {
  AUTH_SUBPROTOCOL_PREFIX,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  type EventFrame,
  type OpArgs,
  type OpName,
  type OpResult,
  type ServerFrame,
  type WelcomeFrame,
} from '@rx-conversations/protocol';

/** A protocol error answered by the server. */
export class RawRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * A bare protocol client over `ws`: handshake, requests, events. Used where the bench needs many
 * cheap connections (idle peers, seeding) rather than the SDK under test.
 */
export class RawClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Called for each durable event. */
  onEvent: ((frame: EventFrame) => void) | undefined;

  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly socket: WebSocket,
    readonly welcome: WelcomeFrame,
  ) {
    // Idle is not silent: a peer that says nothing for 3 heartbeat intervals is closed by the server.
    this.heartbeat = setInterval(() => socket.send('{"type":"ping"}'), welcome.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Opens a socket with `token`, sends `hello`, resolves at `welcome`. */
  static connect(url: string, token: string, timeoutMs = 30_000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + token], { perMessageDeflate: false });
      let client: RawClient | undefined;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`no welcome within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION })));
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        reject(new Error('closed before welcome'));
        if (client) {
          clearInterval(client.heartbeat);
          for (const p of client.pending.values()) p.reject(new Error('socket closed'));
        }
      });
      socket.on('message', (data) => {
        const parsed = JSON.parse(String(data)) as ServerFrame | ServerFrame[];
        for (const frame of Array.isArray(parsed) ? parsed : [parsed]) {
          if (frame.type === 'welcome') {
            clearTimeout(timer);
            client = new RawClient(socket, frame);
            resolve(client);
          } else if (client) client.handle(frame);
        }
      });
    });
  }

  private handle(frame: ServerFrame): void {
    if (frame.type === 'ev') this.onEvent?.(frame);
    else if (frame.type === 'res' && frame.id !== null) {
      const pending = this.pending.get(frame.id);
      if (!pending) return;
      this.pending.delete(frame.id);
      if (frame.ok) pending.resolve(frame.result);
      else pending.reject(new RawRequestError(frame.error.code, frame.error.message, frame.error.details?.retryAfterMs));
    }
  }

  /** One request; a `rate_limited` answer is retried after the delay the server asks for. */
  async request<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.requestOnce(op, args);
      } catch (err) {
        if (!(err instanceof RawRequestError) || err.code !== 'rate_limited' || attempt > 1000) throw err;
        await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 50));
      }
    }
  }

  private requestOnce<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ type: 'req', id, op, args }));
    });
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.socket.terminate();
  }
}
