import type { WelcomeFrame } from '@rx-conversations/protocol';
import type { FakeWebSocket } from './FakeWebSocket.js';

/**
 * One connection the {@link FakeServer} accepted, for inspection (`fake.connections`) and targeted
 * faults (`connection.close(4008)`). Connections stay listed after they close.
 *
 * @example
 * ```ts
 * import { FakeServer } from '@rx-conversations/testing';
 *
 * declare const fake: FakeServer;
 * const open = fake.connections.filter((c) => c.status === 'open' && c.identity === 'alice');
 * open[0]?.close(4008, 'slow_consumer'); // the client reconnects and resumes
 * ```
 */
export interface FakeConnection {
  /** `CN…`, also sent as `welcome.connectionId`. */
  readonly id: string;
  readonly identity: string;
  readonly url: string;
  /** The subprotocols the client offered (the second carries its token). */
  readonly protocols: readonly string[];
  /** `closing`: the server closed it and the close is on its way to the client. */
  readonly status: 'open' | 'closing' | 'closed';
  /** The `hello` frame, once received. */
  readonly hello: { readonly v: number; readonly lastSeq?: number } | null;
  /** How the handshake resumed, once welcomed. */
  readonly resume: WelcomeFrame['resume'] | null;
  /** Close code and reason, once closed by either side. */
  readonly closed: { readonly code: number; readonly reason: string; readonly by: 'client' | 'server' } | null;
  /** Identities this connection watches (`users.subscribe`). */
  readonly watching: ReadonlySet<string>;
  /** The client's end of the connection. */
  readonly socket: FakeWebSocket;
  /**
   * Closes from the server side. Code 1006 (the default) drops it abruptly: frames not yet delivered
   * are lost, as on a network failure. Any other code is a clean close after pending frames.
   */
  close(code?: number, reason?: string): void;
}
