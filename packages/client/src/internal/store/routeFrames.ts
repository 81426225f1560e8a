import type { EventFrame, Message, SignalFrame } from '@rx-conversations/protocol';
import type { InboundFrame } from '../Session.js';
import type { StoreAction } from './StoreAction.js';

/**
 * The event router: turns one inbound batch of wire frames into typed store actions and does
 * nothing else (STORE-1). `now` stamps ephemeral signals (typing expiry is measured from it).
 * Unknown kinds from a newer server are skipped, not fatal.
 */
export function routeFrames(frames: readonly InboundFrame[], now: number, onReaction?: OnReaction): StoreAction[] {
  const actions: StoreAction[] = [];
  for (const frame of frames) {
    const action = frame.type === 'ev' ? routeEvent(frame, onReaction) : routeSignal(frame, now);
    if (action !== undefined) actions.push(action);
  }
  return actions;
}

/** Told of each reaction that came or went (PARITY-3), before its event is applied. */
export type OnReaction = (message: Message, reaction: { readonly emoji: string; readonly identity: string; readonly added: boolean }) => void;

function routeEvent(frame: EventFrame, onReaction: OnReaction | undefined): StoreAction | undefined {
  const seq = frame.seq;
  // Narrow through a helper per kind: `frame.data` is a union keyed by `frame.kind`.
  const f = frame as EventFrame<any>;
  switch (frame.kind) {
    case 'conversationAdded':
      return { type: 'conversationAdded', seq, conversation: f.data.conversation };
    case 'conversationUpdated':
      return { type: 'conversationUpdated', seq, conversation: f.data.conversation, updateReasons: f.data.updateReasons };
    case 'conversationRemoved':
      return { type: 'conversationRemoved', seq, sid: f.data.sid, reason: f.data.reason };
    case 'messageAdded':
      return { type: 'messageAdded', seq, message: f.data.message };
    case 'messageUpdated':
      if (f.data.reaction !== undefined) onReaction?.(f.data.message, f.data.reaction);
      return { type: 'messageUpdated', seq, message: f.data.message, updateReasons: f.data.updateReasons };
    case 'messageRemoved':
      return {
        type: 'messageRemoved',
        seq,
        conversationSid: f.data.conversationSid,
        sid: f.data.sid,
        index: f.data.index,
        version: f.data.version,
        author: f.data.author,
      };
    case 'participantJoined':
      return { type: 'participantJoined', seq, participant: f.data.participant };
    case 'participantUpdated':
      return { type: 'participantUpdated', seq, participant: f.data.participant, updateReasons: f.data.updateReasons };
    case 'participantLeft':
      return { type: 'participantLeft', seq, conversationSid: f.data.conversationSid, identity: f.data.identity, sid: f.data.sid };
    case 'userUpdated':
      return { type: 'meUpdated', seq, user: f.data.user, updateReasons: f.data.updateReasons };
    default:
      return undefined;
  }
}

function routeSignal(frame: SignalFrame, now: number): StoreAction | undefined {
  const f = frame as SignalFrame<any>;
  switch (frame.kind) {
    case 'typing':
      return { type: 'typingSignal', conversationSid: f.data.conversationSid, identity: f.data.identity, at: now };
    case 'userUpdated':
      return { type: 'userSignal', user: f.data.user, updateReasons: f.data.updateReasons };
    default:
      return undefined;
  }
}
