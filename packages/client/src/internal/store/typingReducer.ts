import type { Draft } from 'immer';
import type { StoreAction } from './StoreAction.js';
import type { ReduceContext } from './conversationsReducer.js';

type Typing = Record<string, Record<string, number>>;

/**
 * Who is typing (STORE-9): an identity enters on a typing signal and leaves when its timer
 * (`typingExpired`, scheduled by the store with the signal's time) fires, or at once when a message
 * from it arrives. The user's own signals are ignored.
 */
export function typingReducer(typing: Draft<Typing>, action: StoreAction, ctx: ReduceContext): void {
  switch (action.type) {
    case 'typingSignal': {
      if (action.identity === ctx.identity) return;
      const t = typing[action.conversationSid];
      if (t === undefined) typing[action.conversationSid] = { [action.identity]: action.at };
      else t[action.identity] = action.at;
      return;
    }
    case 'typingExpired': {
      const t = typing[action.conversationSid];
      if (t === undefined || t[action.identity] !== action.at) return;
      drop(typing, action.conversationSid, action.identity);
      return;
    }
    case 'messageAdded': {
      const t = typing[action.message.conversationSid];
      if (t !== undefined && t[action.message.author] !== undefined) drop(typing, action.message.conversationSid, action.message.author);
      return;
    }
    case 'conversationRemoved':
    case 'conversationRemovedLocally':
    case 'conversationsListSynced': {
      for (const sid of ctx.removedNow) if (typing[sid] !== undefined) delete typing[sid];
      return;
    }
    default:
      return;
  }
}

function drop(typing: Draft<Typing>, sid: string, identity: string): void {
  const t = typing[sid]!;
  if (Object.keys(t).length === 1) delete typing[sid];
  else delete t[identity];
}
