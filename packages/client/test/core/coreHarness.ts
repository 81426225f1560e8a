// Builds a ClientCore on fakes (virtual clock, scripted sockets) and records what it emits.
import type { ConnectionState } from '../../src/ConnectionState.js';
import type { ClientOptions } from '../../src/ClientOptions.js';
import type { ConversationsError } from '../../src/ConversationsError.js';
import { ClientCore } from '../../src/internal/core/ClientCore.js';
import type { TokenExpiryNotice } from '../../src/internal/core/TokenLifecycle.js';
import type { InboundFrame, SessionStart } from '../../src/internal/Session.js';
import type { WelcomeFrame } from '@rx-conversations/protocol';
import { fakeWebSocketClass, FakePlatform, makeToken, RecordingLogger, VirtualClock, welcome, type FakeSocket } from './fakes.js';

export type HarnessOptions = Partial<ClientOptions> & { readonly token?: string };

export function harness(overrides: HarnessOptions = {}) {
  const clock = new VirtualClock();
  const WS = fakeWebSocketClass();
  const platform = new FakePlatform();
  const logger = new RecordingLogger();
  const { token = makeToken(), ...options } = overrides;
  const core = new ClientCore(token, {
    url: 'ws://chat.test/ws',
    WebSocket: WS,
    scheduler: clock,
    platform,
    fetch: null,
    random: () => 0,
    logger,
    logLevel: 'trace',
    ...options,
  });
  const states: ConnectionState[] = [];
  const errors: ConversationsError[] = [];
  const batches: (readonly InboundFrame[])[] = [];
  const sessions: SessionStart[] = [];
  const aboutToExpire: TokenExpiryNotice[] = [];
  let expired = 0;
  const completed = new Set<string>();
  const record = <T>(name: string, into: (value: T) => void) => ({ next: into, complete: () => completed.add(name) });
  core.connectionState$.subscribe(record('connectionState$', (state: ConnectionState) => states.push(state)));
  core.connectionError$.subscribe(record('connectionError$', (error: ConversationsError) => errors.push(error)));
  core.inbound$.subscribe(record('inbound$', (batch: readonly InboundFrame[]) => batches.push(batch)));
  core.sessions$.subscribe(record('sessions$', (session: SessionStart) => sessions.push(session)));
  core.tokenAboutToExpire$.subscribe(record('tokenAboutToExpire$', (notice: TokenExpiryNotice) => aboutToExpire.push(notice)));
  core.tokenExpired$.subscribe(record('tokenExpired$', () => { expired += 1; }));
  core.shutdown$.subscribe(record('shutdown$', () => undefined));
  core.discontinuity$.subscribe(record('discontinuity$', () => undefined));
  return {
    core, clock, WS, platform, logger, token, states, errors, batches, sessions, aboutToExpire, completed,
    get expired() {
      return expired;
    },
    socket: (): FakeSocket => WS.latest(),
    /** Opens the newest socket and completes its handshake. */
    connect(frame: Partial<WelcomeFrame> = {}): FakeSocket {
      const socket = WS.latest();
      socket.open();
      socket.receive(welcome(frame));
      return socket;
    },
    /** Frames of type `req` the newest socket carried. */
    requests(socket: FakeSocket = WS.latest()) {
      return socket.frames.filter((frame) => frame.type === 'req') as { type: 'req'; id: number; op: string; args: Record<string, unknown> }[];
    },
  };
}
