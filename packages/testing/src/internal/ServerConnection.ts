import type { ServerFrame, WelcomeFrame } from '@rx-conversations/protocol';
import type { Subscription } from 'rxjs';
import type { FakeConnection } from '../FakeConnection.js';
import type { FakeWebSocket } from '../FakeWebSocket.js';

/** The server's side of one fake socket: handshake state, outbound queue, watch set, token timers. */
export class ServerConnection implements FakeConnection {
  status: FakeConnection['status'] = 'open';
  hello: FakeConnection['hello'] = null;
  resume: WelcomeFrame['resume'] | null = null;
  closed: FakeConnection['closed'] = null;
  readonly watching = new Set<string>();
  lastRequestId = 0;
  /** Frames waiting for the next flush; a flush sends them as one message (a batch). */
  outbox: ServerFrame[] = [];
  flushScheduled = false;
  tokenTimers: Subscription[] = [];

  constructor(
    readonly id: string,
    readonly identity: string,
    readonly socket: FakeWebSocket,
    public token: string,
    public tokenExpiresAt: number,
    private readonly closeFromServer: (connection: ServerConnection, code: number, reason: string) => void,
  ) {}

  get url(): string {
    return this.socket.url;
  }

  get protocols(): readonly string[] {
    return this.socket.protocols;
  }

  /** Welcomed and open: receives live events and signals. */
  get live(): boolean {
    return this.status === 'open' && this.resume !== null;
  }

  close(code = 1006, reason = ''): void {
    this.closeFromServer(this, code, reason);
  }
}
