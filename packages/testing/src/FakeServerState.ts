import type { Conversation, EventFrame, Message, Participant, PushDelivery, PushType, User } from '@rx-conversations/protocol';

/**
 * A read-only view of the {@link FakeServer}'s data (`fake.state`), for asserting what the server
 * holds after the app did something. Each call reads the current data; entities are frozen.
 *
 * @example
 * ```ts
 * import type { FakeServer } from '@rx-conversations/testing';
 *
 * declare const fake: FakeServer;
 * const [general] = fake.state.conversations('alice');
 * expect(fake.state.messages(general!.sid).map((m) => m.body)).toEqual(['hi']);
 * ```
 */
export interface FakeServerState {
  /** Conversations `identity` participates in, as they see them; all conversations without it. */
  conversations(identity?: string): readonly Conversation[];
  /** A conversation as `as` sees it (membership null when omitted or not a participant). */
  conversation(sid: string, as?: string): Conversation | undefined;
  /** Messages by index; removed ones only with `includeRemoved`. */
  messages(sid: string, options?: { readonly includeRemoved?: boolean }): readonly Message[];
  participants(sid: string): readonly Participant[];
  users(): readonly User[];
  user(identity: string): User | undefined;
  /** The retained durable events `identity` may see (their stream and their conversations'), oldest first. */
  events(identity: string): readonly EventFrame[];
  /** The newest position of the event log (0 when none): what `welcome.headSeq` and `asOfSeq` report now. */
  headSeq(): number;
  pushRegistrations(): readonly { readonly identity: string; readonly type: PushType; readonly token: string; readonly registeredAt: number }[];
  /** Push payloads the fake would have handed a push sender (offline, not muted, registered users). */
  pushDeliveries(): readonly PushDelivery[];
}
