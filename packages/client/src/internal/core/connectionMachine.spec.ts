import {
  INITIAL_STATE,
  LOSSY_LINK_MAX_DELAY_MS,
  MACHINE_EVENT_TYPES,
  PHASES,
  publicState,
  retryDelay,
  transition,
  type MachineEvent,
  type MachineState,
  type Phase,
} from './connectionMachine.js';

const EVENTS: Record<string, MachineEvent> = {
  socketOpened: { type: 'socketOpened' },
  welcomeReceived: { type: 'welcomeReceived' },
  socketFailed: { type: 'socketFailed' },
  'socketClosed(1006)': { type: 'socketClosed', code: 1006 },
  'socketClosed(1001)': { type: 'socketClosed', code: 1001 },
  'socketClosed(4001)': { type: 'socketClosed', code: 4001 },
  'socketClosed(4003)': { type: 'socketClosed', code: 4003 },
  heartbeatTimedOut: { type: 'heartbeatTimedOut' },
  sequenceGap: { type: 'sequenceGap' },
  connectionStable: { type: 'connectionStable' },
  trafficReceived: { type: 'trafficReceived' },
  authInconclusive: { type: 'authInconclusive' },
  tokenRejected: { type: 'tokenRejected' },
  tokenUpdated: { type: 'tokenUpdated' },
  retryTimerFired: { type: 'retryTimerFired' },
  connectingPeriodElapsed: { type: 'connectingPeriodElapsed' },
  networkOnline: { type: 'networkOnline' },
  shutdownRequested: { type: 'shutdownRequested' },
  shutdownCompleted: { type: 'shutdownCompleted' },
};

// The expected table, written independently of the implementation. '=' means: the same state object.
// `phase+` means that phase with a new socket; `phase*` that phase with the connecting period elapsed.
const EXPECTED: Record<Phase, Record<keyof typeof EVENTS, string>> = {
  opening: {
    socketOpened: 'handshaking', welcomeReceived: '=', socketFailed: 'probing', 'socketClosed(1006)': 'probing',
    'socketClosed(1001)': 'probing', 'socketClosed(4001)': 'denied', 'socketClosed(4003)': 'denied', heartbeatTimedOut: 'backoff',
    sequenceGap: '=', connectionStable: '=', trafficReceived: '=', authInconclusive: '=', tokenRejected: 'denied', tokenUpdated: 'opening+', retryTimerFired: '=',
    connectingPeriodElapsed: 'opening*', networkOnline: '=', shutdownRequested: 'closing', shutdownCompleted: '=',
  },
  handshaking: {
    socketOpened: '=', welcomeReceived: 'connected', socketFailed: 'backoff', 'socketClosed(1006)': 'backoff',
    'socketClosed(1001)': 'backoff', 'socketClosed(4001)': 'denied', 'socketClosed(4003)': 'denied', heartbeatTimedOut: 'backoff',
    sequenceGap: '=', connectionStable: '=', trafficReceived: '=', authInconclusive: '=', tokenRejected: 'denied', tokenUpdated: 'opening+', retryTimerFired: '=',
    connectingPeriodElapsed: 'handshaking*', networkOnline: '=', shutdownRequested: 'closing', shutdownCompleted: '=',
  },
  connected: {
    socketOpened: '=', welcomeReceived: '=', socketFailed: 'backoff', 'socketClosed(1006)': 'backoff',
    'socketClosed(1001)': 'backoff', 'socketClosed(4001)': 'denied', 'socketClosed(4003)': 'denied', heartbeatTimedOut: 'backoff',
    sequenceGap: 'backoff', connectionStable: 'connected', trafficReceived: 'connected', authInconclusive: '=', tokenRejected: 'denied', tokenUpdated: '=', retryTimerFired: '=',
    connectingPeriodElapsed: '=', networkOnline: '=', shutdownRequested: 'closing', shutdownCompleted: '=',
  },
  probing: {
    socketOpened: '=', welcomeReceived: '=', socketFailed: '=', 'socketClosed(1006)': '=',
    'socketClosed(1001)': '=', 'socketClosed(4001)': '=', 'socketClosed(4003)': '=', heartbeatTimedOut: '=',
    sequenceGap: '=', connectionStable: '=', trafficReceived: '=', authInconclusive: 'backoff', tokenRejected: 'denied', tokenUpdated: 'opening+', retryTimerFired: '=',
    connectingPeriodElapsed: 'probing*', networkOnline: '=', shutdownRequested: 'closing', shutdownCompleted: '=',
  },
  backoff: {
    socketOpened: '=', welcomeReceived: '=', socketFailed: '=', 'socketClosed(1006)': '=',
    'socketClosed(1001)': '=', 'socketClosed(4001)': '=', 'socketClosed(4003)': '=', heartbeatTimedOut: '=',
    sequenceGap: '=', connectionStable: '=', trafficReceived: '=', authInconclusive: '=', tokenRejected: 'denied', tokenUpdated: 'opening+', retryTimerFired: 'opening+',
    connectingPeriodElapsed: 'backoff*', networkOnline: 'opening+', shutdownRequested: 'closing', shutdownCompleted: '=',
  },
  denied: {
    socketOpened: '=', welcomeReceived: '=', socketFailed: '=', 'socketClosed(1006)': '=',
    'socketClosed(1001)': '=', 'socketClosed(4001)': '=', 'socketClosed(4003)': '=', heartbeatTimedOut: '=',
    sequenceGap: '=', connectionStable: '=', trafficReceived: '=', authInconclusive: '=', tokenRejected: '=', tokenUpdated: 'opening+', retryTimerFired: '=',
    connectingPeriodElapsed: '=', networkOnline: '=', shutdownRequested: 'closing', shutdownCompleted: '=',
  },
  closing: {
    socketOpened: '=', welcomeReceived: '=', socketFailed: '=', 'socketClosed(1006)': '=',
    'socketClosed(1001)': '=', 'socketClosed(4001)': '=', 'socketClosed(4003)': '=', heartbeatTimedOut: '=',
    sequenceGap: '=', connectionStable: '=', trafficReceived: '=', authInconclusive: '=', tokenRejected: '=', tokenUpdated: '=', retryTimerFired: '=',
    connectingPeriodElapsed: '=', networkOnline: '=', shutdownRequested: '=', shutdownCompleted: 'closed',
  },
  closed: {
    socketOpened: '=', welcomeReceived: '=', socketFailed: '=', 'socketClosed(1006)': '=',
    'socketClosed(1001)': '=', 'socketClosed(4001)': '=', 'socketClosed(4003)': '=', heartbeatTimedOut: '=',
    sequenceGap: '=', connectionStable: '=', trafficReceived: '=', authInconclusive: '=', tokenRejected: '=', tokenUpdated: '=', retryTimerFired: '=',
    connectingPeriodElapsed: '=', networkOnline: '=', shutdownRequested: '=', shutdownCompleted: '=',
  },
};

const PHASE_NAMES = Object.keys(PHASES) as Phase[];
const at = (phase: Phase): MachineState => ({ phase, attempt: 2, socket: 5, cycle: 3, periodElapsed: false, flaps: 1, losses: 1, traffic: false, lossyLink: false });

describe('connectionMachine', () => {
  it('CONN-2: the expected table covers every phase and every event type', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...PHASE_NAMES].sort());
    const covered = new Set(Object.values(EVENTS).map((event) => event.type));
    expect([...covered].sort()).toEqual([...MACHINE_EVENT_TYPES].sort());
  });

  for (const phase of PHASE_NAMES) {
    for (const [name, event] of Object.entries(EVENTS)) {
      const expected = EXPECTED[phase][name]!;
      it(`CONN-2: ${phase} × ${name} → ${expected}`, () => {
        const before = at(phase);
        const after = transition(before, event);
        if (expected === '=') {
          expect(after).toBe(before);
          return;
        }
        const target = expected.replace(/[+*]$/, '') as Phase;
        expect(after.phase).toBe(target);
        expect(after.socket).toBe(expected.endsWith('+') ? before.socket + 1 : before.socket);
        if (expected.endsWith('*')) expect(after.periodElapsed).toBe(true);
        expect(before).toEqual(at(phase)); // pure: the input is untouched
      });
    }
  }

  it('CONN-2: each phase maps to its public state; reconnecting phases become disconnected after the period', () => {
    const publicOf = (phase: Phase, periodElapsed = false) => publicState({ ...at(phase), periodElapsed });
    expect(PHASE_NAMES.map((phase) => [phase, publicOf(phase)])).toEqual([
      ['opening', 'connecting'], ['handshaking', 'connecting'], ['connected', 'connected'], ['probing', 'connecting'],
      ['backoff', 'connecting'], ['denied', 'denied'], ['closing', 'disconnecting'], ['closed', 'disconnected'],
    ]);
    for (const phase of ['opening', 'handshaking', 'probing', 'backoff'] as const) expect(publicOf(phase, true)).toBe('disconnected');
    for (const phase of ['connected', 'denied', 'closing', 'closed'] as const) expect(publicOf(phase, true)).toBe(publicOf(phase));
  });

  it('CONN-2: the table says what each phase allows', () => {
    const allows = PHASE_NAMES.map((phase) => {
      const spec = PHASES[phase];
      return [phase, spec.requests, spec.socket, spec.retryTimer, spec.authProbe, spec.reconnecting];
    });
    expect(allows).toEqual([
      ['opening', 'queue', true, false, false, true],
      ['handshaking', 'queue', true, false, false, true],
      ['connected', 'send', true, false, false, false],
      ['probing', 'queue', false, false, true, true],
      ['backoff', 'queue', false, true, false, true],
      ['denied', 'queue', false, false, false, false],
      ['closing', 'reject', false, false, false, false],
      ['closed', 'reject', false, false, false, false],
    ]);
  });

  it('CONN-3: failed attempts count up within a cycle; a drop starts a new cycle with attempt 1', () => {
    let state = INITIAL_STATE;
    state = transition(state, { type: 'socketFailed' });
    state = transition(state, { type: 'authInconclusive' });
    expect(state).toMatchObject({ phase: 'backoff', attempt: 1, cycle: 1, socket: 1 });
    state = transition(state, { type: 'retryTimerFired' });
    state = transition(state, { type: 'socketOpened' });
    state = transition(state, { type: 'heartbeatTimedOut' });
    expect(state).toMatchObject({ phase: 'backoff', attempt: 2, cycle: 1, socket: 2 });
    state = transition(state, { type: 'connectingPeriodElapsed' });
    state = transition(state, { type: 'retryTimerFired' });
    state = transition(state, { type: 'socketOpened' });
    expect(publicState(state)).toBe('disconnected');
    state = transition(state, { type: 'welcomeReceived' });
    expect(state).toMatchObject({ phase: 'connected', attempt: 0, cycle: 1, periodElapsed: false });
    state = transition(state, { type: 'socketClosed', code: 1006 });
    expect(state).toMatchObject({ phase: 'backoff', attempt: 1, cycle: 2, periodElapsed: false });
  });

  it('CONN-2: a token update leaves denied on a fresh cycle', () => {
    const denied: MachineState = { phase: 'denied', attempt: 4, socket: 7, cycle: 2, periodElapsed: true, flaps: 0, losses: 2, traffic: true, lossyLink: true };
    expect(transition(denied, { type: 'tokenUpdated' })).toEqual({ phase: 'opening', attempt: 0, socket: 8, cycle: 3, periodElapsed: false, flaps: 0, losses: 2, traffic: true, lossyLink: false });
  });

  it('CONN-3: connections that drop before they are stable are retried ever more slowly; a stable one resets that', () => {
    const flap = (state: MachineState): MachineState =>
      [{ type: 'retryTimerFired' }, { type: 'socketOpened' }, { type: 'welcomeReceived' }, { type: 'sequenceGap' }].reduce<MachineState>(
        (s, event) => transition(s, event as MachineEvent),
        state,
      );
    let state = transition(transition(transition(INITIAL_STATE, { type: 'socketOpened' }), { type: 'welcomeReceived' }), { type: 'socketClosed', code: 1006 });
    expect(state).toMatchObject({ phase: 'backoff', attempt: 1, flaps: 1 });
    const attempts = [state.attempt];
    for (let i = 0; i < 4; i++) attempts.push((state = flap(state)).attempt);
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    // Stable for long enough: the next drop is a fresh failure, retried fast.
    for (const event of [{ type: 'retryTimerFired' }, { type: 'socketOpened' }, { type: 'welcomeReceived' }, { type: 'connectionStable' }]) state = transition(state, event as MachineEvent);
    expect(state).toMatchObject({ phase: 'connected', flaps: 0 });
    expect(transition(state, { type: 'socketClosed', code: 1006 })).toMatchObject({ phase: 'backoff', attempt: 1, flaps: 1 });
  });

  describe('crash loop or lossy link (CONN-3)', () => {
    const CONFIG = { initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5 };
    const connectedAgain = (state: MachineState): MachineState =>
      [{ type: 'retryTimerFired' }, { type: 'socketOpened' }, { type: 'welcomeReceived' }].reduce<MachineState>((s, event) => transition(s, event as MachineEvent), state);
    const withTraffic = (state: MachineState): MachineState => transition(connectedAgain(state), { type: 'trafficReceived' });
    const first = withTraffic(transition(transition(INITIAL_STATE, { type: 'socketOpened' }), { type: 'welcomeReceived' }));
    const firstDelays = (end: (s: MachineState) => MachineState, times: number, from: MachineState) => {
      const delays: number[] = [];
      let state = from;
      for (let i = 0; i < times; i++) {
        state = end(state);
        delays.push(retryDelay(state, CONFIG, () => 0));
      }
      return { delays, state };
    };

    it('CONN-3: a connection that carried traffic and was cut (1006) is a lossy link: the first retry grows only to 400 ms', () => {
      const cut = (s: MachineState) => transition(withTraffic(s), { type: 'socketClosed', code: 1006 });
      const { delays, state } = firstDelays(cut, 8, transition(first, { type: 'socketClosed', code: 1006 }));
      expect(delays).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
      expect(state).toMatchObject({ phase: 'backoff', losses: 9, flaps: 0, lossyLink: true });
    });

    it('CONN-3: a heartbeat timeout after traffic is a lossy link too; before any traffic it is a flap', () => {
      expect(transition(first, { type: 'heartbeatTimedOut' })).toMatchObject({ losses: 1, flaps: 0, lossyLink: true });
      expect(transition(connectedAgain(transition(first, { type: 'heartbeatTimedOut' })), { type: 'heartbeatTimedOut' })).toMatchObject({ losses: 1, flaps: 1, lossyLink: false });
    });

    it('CONN-3: the server’s doing is damped as before, traffic or not: coded closes, sequence gaps, a welcome then a cut with no traffic', () => {
      const ends: ((s: MachineState) => MachineState)[] = [
        (s) => transition(withTraffic(s), { type: 'socketClosed', code: 4009 }),
        (s) => transition(withTraffic(s), { type: 'socketClosed', code: 1011 }),
        (s) => transition(withTraffic(s), { type: 'socketClosed', code: 1001 }),
        (s) => transition(withTraffic(s), { type: 'sequenceGap' }),
        (s) => transition(connectedAgain(s), { type: 'socketClosed', code: 1006 }),
      ];
      for (const end of ends) {
        const { delays, state } = firstDelays(end, 9, transition(first, { type: 'socketClosed', code: 4009 }));
        expect(delays).toEqual([200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000]);
        expect(state).toMatchObject({ flaps: 10, losses: 0, lossyLink: false });
      }
    });

    it('CONN-3: after a network cut, failed attempts are capped at 1 s until the connecting period elapses; after a crash, at maxDelayMs', () => {
      const failing = (s: MachineState) => transition(transition(transition(s, { type: 'retryTimerFired' }), { type: 'socketFailed' }), { type: 'authInconclusive' });
      const lossy = firstDelays(failing, 8, transition(first, { type: 'socketClosed', code: 1006 }));
      expect(lossy.delays).toEqual([200, 400, 800, LOSSY_LINK_MAX_DELAY_MS, 1_000, 1_000, 1_000, 1_000]);
      expect(retryDelay(transition(lossy.state, { type: 'connectingPeriodElapsed' }), CONFIG, () => 0)).toBe(30_000);
      const crash = firstDelays(failing, 8, transition(first, { type: 'socketClosed', code: 4009 }));
      expect(crash.delays).toEqual([200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600]);
      // The short cap never exceeds maxDelayMs, nor goes below initialDelayMs.
      expect(retryDelay({ ...lossy.state }, { ...CONFIG, maxDelayMs: 250 }, () => 0)).toBe(250);
      expect(retryDelay({ ...lossy.state }, { ...CONFIG, initialDelayMs: 2_000, maxDelayMs: 60_000 }, () => 0)).toBe(2_000);
    });

    it('CONN-3: a stable connection forgets both flaps and losses', () => {
      const cut = transition(withTraffic(transition(first, { type: 'socketClosed', code: 4009 })), { type: 'socketClosed', code: 1006 });
      expect(cut).toMatchObject({ flaps: 1, losses: 1 });
      const stable = transition(connectedAgain(cut), { type: 'connectionStable' });
      expect(stable).toMatchObject({ phase: 'connected', flaps: 0, losses: 0 });
      expect(transition(stable, { type: 'connectionStable' })).toBe(stable);
      expect(transition(stable, { type: 'socketClosed', code: 1006 })).toMatchObject({ attempt: 1, flaps: 1, losses: 0 });
    });
  });

  it('CONN-2: the connecting period elapsing twice changes nothing the second time', () => {
    const once = transition(at('backoff'), { type: 'connectingPeriodElapsed' });
    expect(transition(once, { type: 'connectingPeriodElapsed' })).toBe(once);
  });
});
