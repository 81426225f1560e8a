import type { JsonValue, ParticipantRole } from '@rx-conversations/protocol';

/**
 * Initial data for `fake.seed()`: users and conversations with participants and messages, created
 * through the same code paths as live requests (so sids, indexes, versions and logs are real).
 *
 * @example
 * ```ts
 * import type { SeedData } from '@rx-conversations/testing';
 *
 * const data: SeedData = {
 *   users: [{ identity: 'alice', friendlyName: 'Alice' }, 'bob'],
 *   conversations: [{
 *     friendlyName: 'General',
 *     participants: ['alice', { identity: 'bob', role: 'admin' }],
 *     messages: [{ author: 'bob', body: 'hi' }, { author: 'alice', body: 'hello' }],
 *     lastRead: { alice: 0 },
 *   }],
 * };
 * ```
 */
export interface SeedData {
  readonly users?: readonly (string | SeedUser)[];
  readonly conversations?: readonly SeedConversation[];
}

/** A user to seed. */
export interface SeedUser {
  readonly identity: string;
  readonly friendlyName?: string | null;
  readonly attributes?: JsonValue;
}

/** A conversation to seed. The creator (default: first participant) is its admin. */
export interface SeedConversation {
  /** Fixed sid (`[A-Za-z0-9_-]{1,64}`); default: the next `CH…`. */
  readonly sid?: string;
  readonly friendlyName?: string;
  readonly uniqueName?: string;
  readonly attributes?: JsonValue;
  readonly createdBy?: string;
  readonly participants: readonly (string | { readonly identity: string; readonly role?: ParticipantRole })[];
  /** Sent in order; each author must be a participant. */
  readonly messages?: readonly { readonly author: string; readonly body?: string | null; readonly attributes?: JsonValue }[];
  /** Read horizons by identity. */
  readonly lastRead?: Readonly<Record<string, number | null>>;
}
