import type { Conversation, ConversationRef, JsonValue, Message, NotificationLevel, OpArgs, OpName, OpResult, Participant, ParticipantRole, User } from '@rx-conversations/protocol';

/** Runs an op for an actor synchronously; throws `FakeServerError`. @internal */
export type ActorRunner = <O extends OpName>(op: O, args: OpArgs<O>) => OpResult<O>;

function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Another user, scripted from the test and acting **server-side**: what they do is validated and
 * authorised like a client request, and its events reach every connected client live (`fake.as(id)`).
 * Each method's effect is applied synchronously when called; the promise resolves with the result
 * or rejects with {@link FakeServerError}.
 *
 * @example
 * ```ts
 * import { FakeServer } from '@rx-conversations/testing';
 *
 * const fake = new FakeServer();
 * const bob = fake.as('bob');
 * const general = await bob.createConversation({ friendlyName: 'General', participants: ['alice'] });
 * await bob.send(general.sid, 'hi alice');
 * await bob.typing(general.sid);
 * ```
 */
export class FakeActor {
  /** @internal */
  constructor(
    readonly identity: string,
    private readonly run: ActorRunner,
    private readonly nextKey: () => string,
  ) {}

  /** Any operation of the protocol, as this user. */
  request<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    return settle(() => this.run(op, args));
  }

  /** Sends a message (with a fresh idempotency key unless given). */
  send(sid: string, content: string | { readonly body?: string | null; readonly attributes?: JsonValue }, idempotencyKey = this.nextKey()): Promise<Message> {
    const fields = typeof content === 'string' ? { body: content } : content;
    return settle(() => this.run('messages.send', { sid, ...fields, idempotencyKey }));
  }

  /** Creates a conversation (this user becomes admin) and adds `participants` as members. */
  createConversation(options: {
    readonly friendlyName?: string;
    readonly uniqueName?: string;
    readonly attributes?: JsonValue;
    readonly participants?: readonly string[];
  } = {}): Promise<Conversation> {
    return settle(() => {
      const { participants = [], ...args } = options;
      const created = this.run('conversations.create', args);
      for (const identity of participants) {
        if (identity !== this.identity) this.run('participants.add', { sid: created.sid, identity });
      }
      return participants.length === 0 ? created : this.run('conversations.get', { sid: created.sid });
    });
  }

  updateConversation(sid: string, changes: { readonly friendlyName?: string | null; readonly uniqueName?: string | null; readonly attributes?: JsonValue }): Promise<Conversation> {
    return settle(() => this.run('conversations.update', { sid, ...changes }));
  }

  deleteConversation(sid: string): Promise<{ sid: string }> {
    return settle(() => this.run('conversations.delete', { sid }));
  }

  join(ref: string | ConversationRef): Promise<Conversation> {
    return settle(() => this.run('conversations.join', typeof ref === 'string' ? { sid: ref } : ref));
  }

  leave(sid: string): Promise<{ sid: string }> {
    return settle(() => this.run('conversations.leave', { sid }));
  }

  addParticipant(sid: string, identity: string, role?: ParticipantRole): Promise<Participant> {
    return settle(() => this.run('participants.add', role === undefined ? { sid, identity } : { sid, identity, role }));
  }

  removeParticipant(sid: string, identity: string): Promise<{ identity: string }> {
    return settle(() => this.run('participants.remove', { sid, identity }));
  }

  updateMessage(sid: string, index: number, changes: string | { readonly body?: string | null; readonly attributes?: JsonValue }): Promise<Message> {
    return settle(() => this.run('messages.update', { sid, index, ...(typeof changes === 'string' ? { body: changes } : changes) }));
  }

  removeMessage(sid: string, index: number): Promise<{ index: number }> {
    return settle(() => this.run('messages.remove', { sid, index }));
  }

  /** Relays a typing signal to the other participants' open connections. */
  typing(sid: string): Promise<null> {
    return settle(() => this.run('conversations.typing', { sid }));
  }

  /** Advances this user's read horizon (never backwards); `null` marks everything read. */
  read(sid: string, index: number | null = null): Promise<Conversation> {
    return settle(() => {
      const target = index ?? this.run('conversations.get', { sid }).lastMessageIndex;
      return this.run('conversations.setLastRead', { sid, index: target, mode: 'advance' });
    });
  }

  setNotificationLevel(sid: string, level: NotificationLevel): Promise<Conversation> {
    return settle(() => this.run('conversations.setNotificationLevel', { sid, level }));
  }

  updateMe(changes: { readonly friendlyName?: string | null; readonly attributes?: JsonValue }): Promise<User> {
    return settle(() => this.run('users.updateMe', changes));
  }
}
