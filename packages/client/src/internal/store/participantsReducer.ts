import type { Draft } from 'immer';
import type { Participant } from '@rx-conversations/protocol';
import type { StoreAction } from './StoreAction.js';
import { emptyRoster, type Roster } from './StoreState.js';
import type { ReduceContext } from './conversationsReducer.js';
import { crDelete, crGet, crKeys, crSet, type ChunkedRecord } from './chunkedRecord.js';

type Rosters = Record<string, Roster>;

/**
 * The rosters reducer (STORE-9). A roster exists once someone asked for it (`participantsRequested`),
 * so live events arriving while `participants.list` is in flight are kept and merged with its answer by
 * the same `asOfSeq ≥ lastSeq` rule as conversations.
 */
export function participantsReducer(rosters: Draft<Rosters>, action: StoreAction, ctx: ReduceContext): void {
  switch (action.type) {
    case 'participantsRequested': {
      if (rosters[action.conversationSid] === undefined) rosters[action.conversationSid] = emptyRoster() as Draft<Roster>;
      return;
    }
    case 'participantsLoaded': {
      if (rosters[action.conversationSid] === undefined) rosters[action.conversationSid] = emptyRoster() as Draft<Roster>;
      const r = rosters[action.conversationSid]!;
      const { entities, lastSeq, get, seqOf } = access(r);
      const listed = new Set<string>();
      for (const p of action.items) {
        listed.add(p.identity);
        const seen = seqOf(p.identity);
        if (seen !== undefined && seen > action.asOfSeq) continue;
        const existing = get(p.identity);
        if (existing !== undefined && existing.version >= p.version) continue;
        crSet(entities, p.identity, p);
        crSet(lastSeq, p.identity, action.asOfSeq);
      }
      for (const identity of crKeys(entities as ChunkedRecord<Participant>)) {
        if (!listed.has(identity) && (seqOf(identity) ?? -1) <= action.asOfSeq) {
          crDelete(entities, identity);
          crSet(lastSeq, identity, action.asOfSeq);
        }
      }
      if (!r.loaded) r.loaded = true;
      return;
    }
    case 'participantJoined':
    case 'participantUpdated': {
      const r = rosters[action.participant.conversationSid];
      if (r === undefined) return;
      const { entities, lastSeq } = access(r);
      crSet(entities, action.participant.identity, action.participant);
      crSet(lastSeq, action.participant.identity, action.seq);
      return;
    }
    case 'participantLeft': {
      const r = rosters[action.conversationSid];
      if (r === undefined) return;
      const { entities, lastSeq } = access(r);
      crDelete(entities, action.identity);
      crSet(lastSeq, action.identity, action.seq);
      return;
    }
    case 'participantFetched': {
      const p = action.participant;
      const r = rosters[p.conversationSid];
      if (r === undefined) return;
      const { entities, get, seqOf } = access(r);
      const existing = get(p.identity);
      if (existing === undefined ? seqOf(p.identity) === undefined : p.version > existing.version) crSet(entities, p.identity, p);
      return;
    }
    case 'participantRemovedLocally': {
      const r = rosters[action.conversationSid];
      if (r === undefined) return;
      const { entities, lastSeq, get, seqOf } = access(r);
      if (get(action.identity) === undefined) return;
      crDelete(entities, action.identity);
      crSet(lastSeq, action.identity, Math.max(ctx.headSeq, seqOf(action.identity) ?? 0));
      return;
    }
    case 'rosterDropped': {
      if (rosters[action.conversationSid] !== undefined) delete rosters[action.conversationSid];
      return;
    }
    case 'conversationRemoved':
    case 'conversationRemovedLocally':
    case 'conversationsListSynced': {
      for (const sid of ctx.removedNow) if (rosters[sid] !== undefined) delete rosters[sid];
      return;
    }
    default:
      return;
  }
}

function access(r: Draft<Roster>) {
  const entities = r.entities as unknown as Draft<ChunkedRecord<Participant>>;
  const lastSeq = r.lastSeq as Draft<ChunkedRecord<number>>;
  return {
    entities,
    lastSeq,
    get: (identity: string) => crGet(entities as ChunkedRecord<Participant>, identity),
    seqOf: (identity: string) => crGet(lastSeq as ChunkedRecord<number>, identity),
  };
}
