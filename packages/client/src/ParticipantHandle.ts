import { Observable } from 'rxjs';
import type { JsonValue, Participant } from '@rx-conversations/protocol';
import type { ConversationHandle } from './ConversationHandle.js';
import type { StoreRuntime } from './internal/store/StoreRuntime.js';
import { crGet } from './internal/store/chunkedRecord.js';

/**
 * One participant of a conversation, observed live with its two commands (PARITY-2, Twilio's
 * `Participant`). Get it from `conversation.participant(identity)`: the same object per identity
 * while in use, and no request until `state$` is observed. The commands are the conversation's
 * `updateParticipant` and `removeParticipant` for this identity; use `updateParticipant` to change a
 * role.
 *
 * @example
 * const me = conversation.participant(client.identity);
 * me.state$.subscribe((p) => showStatus(p.attributes));
 * await me.updateAttributes({ status: 'away' }); // state$ already shows it
 */
export class ParticipantHandle {
  /**
   * The participant as the conversation's roster shows it: the current state, then every change.
   * Observing it observes the roster (read once, then live, as `participants$`). Completes when the
   * participant is not, or no longer, in the conversation — they left or were removed, or the user
   * left — and at shutdown.
   */
  readonly state$: Observable<Participant>;

  /** @internal Use `conversation.participant(identity)`. */
  constructor(
    /** The participant's identity. */
    readonly identity: string,
    private readonly conversation: ConversationHandle,
    runtime: StoreRuntime,
  ) {
    const roster$ = runtime.store.rosters.select(conversation.sid);
    this.state$ = new Observable<Participant>((subscriber) => {
      // Before the roster's first answer nobody is known; after it, missing means gone (also when the
      // user left and the roster itself went).
      let loaded = false;
      let last: Participant | undefined;
      return roster$.subscribe({
        next: (r) => {
          if (!(loaded ||= r?.loaded === true)) return;
          const p = r && crGet(r.entities, identity);
          if (p === undefined) subscriber.complete();
          else if (p !== last) subscriber.next((last = p));
        },
        complete: () => subscriber.complete(),
      });
    });
  }

  /** The sid of the conversation (`CH…`). */
  get conversationSid(): string {
    return this.conversation.sid;
  }

  /**
   * Replaces the participant's attributes: your own need `editOwnParticipantAttributes`, anyone
   * else's `editAnyParticipantAttributes` (`permission_denied`). Resolves once `state$` and
   * `participants$` show it (STORE-6).
   */
  updateAttributes(attributes: JsonValue): Promise<Participant> {
    return this.conversation.updateParticipant(this.identity, { attributes });
  }

  /** Removes the participant (needs `removeParticipant`); resolves once the roster no longer shows them. */
  remove(): Promise<void> {
    return this.conversation.removeParticipant(this.identity);
  }
}
