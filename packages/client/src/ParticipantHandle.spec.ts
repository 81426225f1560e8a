import { describe, expect, it } from '@jest/globals';
import type { Observable } from 'rxjs';
import type { Conversation, Participant } from '@rx-conversations/protocol';
import { useFakeSessions, type Handler } from '../test/fakeSessions.js';
import { conv, participant } from '../test/fixtures.js';

const { setup, keep } = useFakeSessions();

/** Conversation `a` in the list; its roster is alice and bob. */
const handler: Handler = (op) =>
  op === 'conversations.list'
    ? { items: [conv('a')] as Conversation[], asOfSeq: 0, nextCursor: null }
    : op === 'participants.list'
      ? { items: [participant('a', 'alice'), participant('a', 'bob')], asOfSeq: 0 }
      : null;

/** Every value of `handle.state$`, and whether it completed. */
function watch(state$: Observable<Participant>): { values: Participant[]; completed: boolean } {
  const seen = { values: [] as Participant[], completed: false };
  keep(state$.subscribe({ next: (p) => seen.values.push(p), complete: () => (seen.completed = true) }));
  return seen;
}

describe('ParticipantHandle (fake session)', () => {
  it('PARITY-2: one handle per identity; state$ reads the roster when observed and emits only when this participant changes', async () => {
    const { core, client, clock } = setup(handler);
    core.welcome();
    await clock.tick();
    const conversation = client.conversation('a');
    const bob = conversation.participant('bob');
    expect(conversation.participant('bob')).toBe(bob);
    expect(core.callsOf('participants.list')).toHaveLength(0);

    const seen = watch(bob.state$);
    await clock.tick();
    expect(core.callsOf('participants.list')).toHaveLength(1);
    expect(seen.values.map((p) => p.identity)).toEqual(['bob']);
    // Alice changing is no news for bob's observers.
    core.emit({ kind: 'participantUpdated', data: { participant: participant('a', 'alice', { attributes: { status: 'away' }, version: 2 }), updateReasons: ['attributes'] } });
    expect(seen.values).toHaveLength(1);
    core.emit({ kind: 'participantUpdated', data: { participant: participant('a', 'bob', { attributes: { status: 'away' }, version: 2 }), updateReasons: ['attributes'] } });
    expect(seen.values.map((p) => p.attributes)).toEqual([{}, { status: 'away' }]);
    expect(seen.completed).toBe(false);

    core.emit({ kind: 'participantLeft', data: { conversationSid: 'a', identity: 'bob', sid: seen.values[0]!.sid } });
    expect(seen.completed).toBe(true);
  });

  it('PARITY-2: state$ of someone not in the conversation completes once the roster is read; every handle completes when the user leaves', async () => {
    const { core, client, clock } = setup(handler);
    core.welcome();
    await clock.tick();
    const conversation = client.conversation('a');
    const alice = watch(conversation.participant('alice').state$);
    const stranger = watch(conversation.participant('nobody').state$);
    await clock.tick();
    expect(stranger).toEqual({ values: [], completed: true });
    expect(alice.values).toHaveLength(1);

    core.emit({ kind: 'conversationRemoved', data: { sid: 'a', reason: 'left' } });
    expect(alice.completed).toBe(true);
  });
});
