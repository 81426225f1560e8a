import { isDeniedCloseCode } from '@rx-conversations/protocol';
import type { ConnectionState } from '../../ConnectionState.js';
import { backoffDelay, type BackoffOptions } from '../../operators/backoffDelay.js';

/**
 * Internal phases of the connection, richer than the public {@link ConnectionState}:
 * - `opening`: a socket is being opened;
 * - `handshaking`: the socket is open, `hello` sent, waiting for `welcome`;
 * - `connected`: `welcome` received, requests flow;
 * - `probing`: a socket failed before opening; asking whether the token was the reason;
 * - `backoff`: waiting for the retry timer;
 * - `denied`: the token was refused; only a new token leaves;
 * - `closing` / `closed`: `shutdown()` in progress / done (terminal).
 */
export type Phase = 'opening' | 'handshaking' | 'connected' | 'probing' | 'backoff' | 'denied' | 'closing' | 'closed';

/**
 * The whole lifecycle state. Counters make every "new thing" distinct, so effects keyed on them
 * (a socket per `socket`, a retry timer per `cycle/attempt`, a reconnection period per `cycle`) are
 * started and stopped by comparing states, never by flags scattered through a class.
 */
export interface MachineState {
  readonly phase: Phase;
  /** Failed attempts in the current reconnection cycle; the next backoff delay is computed from it. */
  readonly attempt: number;
  /** Number of the socket the state refers to; increases each time a socket is opened. */
  readonly socket: number;
  /** Number of the reconnection cycle; increases when a connection drops or a denied client gets a token. */
  readonly cycle: number;
  /** The connecting period of this cycle ran out: publicly `disconnected`, retries at the cap. */
  readonly periodElapsed: boolean;
  /**
   * Connections since the last stable one (see `connectionStable`) that the server ended: a coded
   * close, a sequence gap, or a welcome followed by nothing before the line went dead. The first retry
   * after such a drop waits as if this many attempts had failed, so a server in a crash loop is retried
   * ever more slowly, not ten times a second.
   */
  readonly flaps: number;
  /**
   * Connections since the last stable one that carried traffic and were then cut by the network
   * (close 1006, or a heartbeat timeout). They say the link is lossy, not that the server is failing:
   * the first retry grows with them only up to {@link LOSSY_LINK_MAX_FIRST_ATTEMPT}.
   */
  readonly losses: number;
  /** The current connection received something after its `welcome` (an event, a reply, a pong…). */
  readonly traffic: boolean;
  /** This reconnection cycle began with a network cut: its retries are capped at {@link LOSSY_LINK_MAX_DELAY_MS}. */
  readonly lossyLink: boolean;
}

/** Everything that can happen to the connection. */
export type MachineEvent =
  | { readonly type: 'socketOpened' }
  | { readonly type: 'welcomeReceived' }
  /** The socket closed or errored before it opened. */
  | { readonly type: 'socketFailed' }
  /** The open socket closed (server, network), with its close code. */
  | { readonly type: 'socketClosed'; readonly code: number }
  /** Nothing received for `heartbeat.timeoutMs` (or no open/welcome within it). */
  | { readonly type: 'heartbeatTimedOut' }
  /** A durable event skipped a sequence number: reconnect and let resume fill the gap. */
  | { readonly type: 'sequenceGap' }
  /** The connection has stayed up long enough to count as stable: the next drop retries fast again. */
  | { readonly type: 'connectionStable' }
  /** The first frame after `welcome` arrived: the server is serving this connection. */
  | { readonly type: 'trafficReceived' }
  /** The auth probe could not tell that the token was at fault: a plain network failure. */
  | { readonly type: 'authInconclusive' }
  /** The token is refused (malformed, expired locally, 401 from the auth probe). */
  | { readonly type: 'tokenRejected' }
  /** A new token was stored. */
  | { readonly type: 'tokenUpdated' }
  | { readonly type: 'retryTimerFired' }
  | { readonly type: 'connectingPeriodElapsed' }
  /** The device came online or the page became visible. */
  | { readonly type: 'networkOnline' }
  | { readonly type: 'shutdownRequested' }
  | { readonly type: 'shutdownCompleted' };

/** Names of {@link MachineEvent}s. */
export type MachineEventType = MachineEvent['type'];

/** Every event type, for exhaustive tests. */
export const MACHINE_EVENT_TYPES: readonly MachineEventType[] = [
  'socketOpened', 'welcomeReceived', 'socketFailed', 'socketClosed', 'heartbeatTimedOut', 'sequenceGap', 'connectionStable',
  'trafficReceived', 'authInconclusive', 'tokenRejected', 'tokenUpdated', 'retryTimerFired', 'connectingPeriodElapsed',
  'networkOnline', 'shutdownRequested', 'shutdownCompleted',
];

type Handler<T extends MachineEventType> = (state: MachineState, event: Extract<MachineEvent, { type: T }>) => MachineState;

/** What a phase is and allows. */
export interface PhaseSpec {
  /** Its public state (reconnecting phases show `disconnected` once the connecting period elapsed). */
  readonly public: ConnectionState;
  /** Requests: sent at once, queued until connected, or rejected (`client_shut_down`). */
  readonly requests: 'send' | 'queue' | 'reject';
  /** A socket exists (the socket number names it). */
  readonly socket: boolean;
  /** The retry timer runs. */
  readonly retryTimer: boolean;
  /** The auth probe runs. */
  readonly authProbe: boolean;
  /** Part of a reconnection cycle: the connecting period runs. */
  readonly reconnecting: boolean;
  /** Transitions; an event without a handler leaves the state unchanged. */
  readonly on: { readonly [T in MachineEventType]?: Handler<T> };
}

// ── transitions, named after what they do ──
const openSocket = (s: MachineState): MachineState => ({ ...s, phase: 'opening', socket: s.socket + 1 });
const retryLater = (s: MachineState): MachineState => ({ ...s, phase: 'backoff', attempt: s.attempt + 1 });
/** Flaps beyond this add nothing: the backoff delay has long reached its cap. */
const MAX_FLAPS = 32;
/** After a network cut, the first retry waits at most as long as this attempt would (100, 200, 400 ms by default). */
export const LOSSY_LINK_MAX_FIRST_ATTEMPT = 3;
/** Every retry of a cycle that began with a network cut waits at most this long (before jitter), until the connecting period elapses. */
export const LOSSY_LINK_MAX_DELAY_MS = 1_000;
/** Close 1006: the socket ended without a closing handshake, as when the network cuts it. */
const ABNORMAL_CLOSURE = 1006;
/**
 * The server ended a working connection (crash-loop damping): a new reconnection cycle, first retry
 * fast after a stable connection, one step further along the backoff after each flap since.
 */
const droppedByServer = (s: MachineState): MachineState => {
  const flaps = Math.min(s.flaps + 1, MAX_FLAPS);
  return { ...s, phase: 'backoff', attempt: flaps, flaps, cycle: s.cycle + 1, periodElapsed: false, lossyLink: false };
};
/**
 * The network cut a connection that carried traffic (lossy link): a new reconnection cycle whose first
 * retry stays fast however many cuts came before, and whose retries are capped low.
 */
const cutByNetwork = (s: MachineState): MachineState => {
  const losses = Math.min(s.losses + 1, MAX_FLAPS);
  const attempt = Math.min(losses, LOSSY_LINK_MAX_FIRST_ATTEMPT);
  return { ...s, phase: 'backoff', attempt, losses, cycle: s.cycle + 1, periodElapsed: false, lossyLink: true };
};
/**
 * How a working connection ended decides which of the two it was. Only a connection that carried
 * traffic and then died without a word from the server (1006, or silence) counts as a lossy link;
 * a coded close, or a welcome followed by nothing, is the server's doing.
 */
const droppedSilently = (s: MachineState): MachineState => (s.traffic ? cutByNetwork(s) : droppedByServer(s));
const deny = (s: MachineState): MachineState => ({ ...s, phase: 'denied' });
const shutDown = (s: MachineState): MachineState => ({ ...s, phase: 'closing' });
const periodElapsed = (s: MachineState): MachineState => (s.periodElapsed ? s : { ...s, periodElapsed: true });
const closedWhileReconnecting: Handler<'socketClosed'> = (s, e) => (isDeniedCloseCode(e.code) ? deny(s) : retryLater(s));

/**
 * The lifecycle table (STYLE: "a declarative table of states with what each allows"). Read a row as:
 * in this phase, the public state is…, requests are…, these effects run, and on each event go there.
 */
export const PHASES: { readonly [P in Phase]: PhaseSpec } = {
  opening: {
    public: 'connecting', requests: 'queue', socket: true, retryTimer: false, authProbe: false, reconnecting: true,
    on: {
      socketOpened: (s) => ({ ...s, phase: 'handshaking' }),
      socketFailed: (s) => ({ ...s, phase: 'probing' }),
      socketClosed: (s, e) => (isDeniedCloseCode(e.code) ? deny(s) : { ...s, phase: 'probing' }),
      heartbeatTimedOut: retryLater,
      tokenRejected: deny,
      tokenUpdated: openSocket,
      connectingPeriodElapsed: periodElapsed,
      shutdownRequested: shutDown,
    },
  },
  handshaking: {
    public: 'connecting', requests: 'queue', socket: true, retryTimer: false, authProbe: false, reconnecting: true,
    on: {
      welcomeReceived: (s) => ({ ...s, phase: 'connected', attempt: 0, periodElapsed: false, traffic: false }),
      socketFailed: retryLater,
      socketClosed: closedWhileReconnecting,
      heartbeatTimedOut: retryLater,
      tokenRejected: deny,
      tokenUpdated: openSocket,
      connectingPeriodElapsed: periodElapsed,
      shutdownRequested: shutDown,
    },
  },
  connected: {
    public: 'connected', requests: 'send', socket: true, retryTimer: false, authProbe: false, reconnecting: false,
    on: {
      // Crash loop or lossy link (CONN-3): coded closes and gaps are the server's; 1006 or silence after traffic is the network's.
      socketFailed: droppedByServer,
      socketClosed: (s, e) => (isDeniedCloseCode(e.code) ? deny(s) : e.code === ABNORMAL_CLOSURE ? droppedSilently(s) : droppedByServer(s)),
      heartbeatTimedOut: droppedSilently,
      sequenceGap: droppedByServer,
      trafficReceived: (s) => (s.traffic ? s : { ...s, traffic: true }),
      connectionStable: (s) => (s.flaps === 0 && s.losses === 0 ? s : { ...s, flaps: 0, losses: 0 }),
      tokenRejected: deny,
      shutdownRequested: shutDown,
    },
  },
  probing: {
    public: 'connecting', requests: 'queue', socket: false, retryTimer: false, authProbe: true, reconnecting: true,
    on: {
      authInconclusive: retryLater,
      tokenRejected: deny,
      tokenUpdated: openSocket,
      connectingPeriodElapsed: periodElapsed,
      shutdownRequested: shutDown,
    },
  },
  backoff: {
    public: 'connecting', requests: 'queue', socket: false, retryTimer: true, authProbe: false, reconnecting: true,
    on: {
      retryTimerFired: openSocket,
      networkOnline: openSocket,
      tokenRejected: deny,
      tokenUpdated: openSocket,
      connectingPeriodElapsed: periodElapsed,
      shutdownRequested: shutDown,
    },
  },
  denied: {
    public: 'denied', requests: 'queue', socket: false, retryTimer: false, authProbe: false, reconnecting: false,
    on: {
      tokenUpdated: (s) => ({ ...s, phase: 'opening', socket: s.socket + 1, attempt: 0, cycle: s.cycle + 1, periodElapsed: false, lossyLink: false }),
      shutdownRequested: shutDown,
    },
  },
  closing: {
    public: 'disconnecting', requests: 'reject', socket: false, retryTimer: false, authProbe: false, reconnecting: false,
    on: { shutdownCompleted: (s) => ({ ...s, phase: 'closed' }) },
  },
  closed: {
    public: 'disconnected', requests: 'reject', socket: false, retryTimer: false, authProbe: false, reconnecting: false,
    on: {},
  },
};

/** The state a new client starts in: opening its first socket. */
export const INITIAL_STATE: MachineState = {
  phase: 'opening', attempt: 0, socket: 1, cycle: 1, periodElapsed: false, flaps: 0, losses: 0, traffic: false, lossyLink: false,
};

/**
 * The pure transition function: the next state after `event`. Returns `state` itself (same
 * reference) when the event changes nothing, so callers detect no-ops with `===`.
 *
 * @example
 * transition(INITIAL_STATE, { type: 'socketOpened' }).phase; // 'handshaking'
 */
export function transition(state: MachineState, event: MachineEvent): MachineState {
  const handler = PHASES[state.phase].on[event.type] as Handler<MachineEventType> | undefined;
  return handler === undefined ? state : handler(state, event as never);
}

/** The public state of a lifecycle state (CONN-2). */
export function publicState(state: MachineState): ConnectionState {
  const spec = PHASES[state.phase];
  return spec.reconnecting && state.periodElapsed ? 'disconnected' : spec.public;
}

/**
 * How long the retry timer of `state` waits (CONN-3): the jittered backoff of its attempt, capped at
 * {@link LOSSY_LINK_MAX_DELAY_MS} while the cycle began with a network cut, so a link that comes back is
 * noticed within about a second; at `maxDelayMs` once the connecting period has elapsed.
 *
 * @example
 * retryDelay({ ...INITIAL_STATE, phase: 'backoff', attempt: 9, lossyLink: true }, { initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5 }, () => 0); // 1000
 */
export function retryDelay(state: MachineState, config: BackoffOptions, random: () => number): number {
  if (state.periodElapsed) return backoffDelay(1, { ...config, initialDelayMs: config.maxDelayMs }, random);
  if (!state.lossyLink) return backoffDelay(state.attempt, config, random);
  const cap = Math.min(config.maxDelayMs, Math.max(config.initialDelayMs, LOSSY_LINK_MAX_DELAY_MS));
  return backoffDelay(state.attempt, { ...config, maxDelayMs: cap }, random);
}
