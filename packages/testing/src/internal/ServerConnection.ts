import type { WelcomeFrame } from '@rx-conversations/protocol';
import { Session, type SessionSettings, type SessionTransport } from '@rx-conversations/server-core';
import type { FakeConnection } from '../FakeConnection.js';
import type { FakeWebSocket } from '../FakeWebSocket.js';

/**
 * One fake socket carrying one core session: the test kit's transport half, with what tests inspect
 * (status, hello, resume, how it closed) and the outbox the fake flushes per turn.
 */
export class ServerConnection implements FakeConnection {
  status: FakeConnection['status'] = 'open';
  closed: FakeConnection['closed'] = null;
  outbox: string[] = [];
  flushScheduled = false;
  readonly session: Session;

  constructor(
    readonly identity: string,
    readonly socket: FakeWebSocket,
    public token: string,
    tokenExpiresAt: number,
    settings: SessionSettings,
    transport: SessionTransport,
    private readonly closeFromServer: (connection: ServerConnection, code: number, reason: string) => void,
  ) {
    this.session = new Session(transport, identity, tokenExpiresAt, settings);
  }

  get id(): string {
    return this.session.id;
  }

  get url(): string {
    return this.socket.url;
  }

  get protocols(): readonly string[] {
    return this.socket.protocols;
  }

  get hello(): FakeConnection['hello'] {
    const hello = this.session.hello;
    if (hello === null) return null;
    return hello.lastSeq === undefined ? { v: hello.v } : { v: hello.v, lastSeq: hello.lastSeq };
  }

  get resume(): WelcomeFrame['resume'] | null {
    return this.session.resume;
  }

  get watching(): ReadonlySet<string> {
    return this.session.watched;
  }

  get live(): boolean {
    return this.status === 'open' && this.session.isLive;
  }

  get tokenExpiresAt(): number {
    return this.session.expiresAt;
  }

  close(code = 1006, reason = ''): void {
    this.closeFromServer(this, code, reason);
  }
}
