import type { JsonValue, UserUpdateReason } from '@rx-conversations/protocol';
import type { Core, WriteBatch } from '../Core.js';
import { changedAttributes, toUser, type UserRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import { done, type Step } from '../Step.js';
import { userFields } from '../webhookEvents.js';
import type { OpContext, OpHandlers, SessionPeer } from './OpContext.js';

function peerOf(ctx: OpContext): SessionPeer {
  if (ctx.peer === null) throw new TypeError('this operation needs a connection');
  return ctx.peer;
}

/** User, push-registration and token operations (SRV-2, SRV-3). */
export const userOps: OpHandlers<
  'users.get' | 'users.subscribe' | 'users.unsubscribe' | 'users.updateMe' | 'push.register' | 'push.unregister' | 'token.update'
> = {
  *'users.get'({ core }, args) {
    const user = yield* core.store.read((tx) => core.user(tx, args.identity));
    if (user === undefined) throw serverError('user_not_found', 'no user has this identity', { path: 'args.identity' });
    return user;
  },

  // Unknown identities are watched too: they appear once that user first connects or is added.
  *'users.subscribe'(ctx, args) {
    const { core } = ctx;
    const peer = peerOf(ctx);
    const fresh = args.identities.filter((identity) => !peer.watched.has(identity));
    for (const identity of fresh) peer.watched.add(identity);
    core.fanout.watch(peer, fresh);
    const items = yield* core.store.read(function* (tx) {
      const found = [];
      for (const identity of args.identities) {
        const user = yield* core.user(tx, identity);
        if (user !== undefined) found.push(user);
      }
      return found;
    });
    return { items };
  },

  *'users.unsubscribe'(ctx, args) {
    const peer = peerOf(ctx);
    for (const identity of args.identities) peer.watched.delete(identity);
    ctx.core.fanout.unwatch(peer, args.identities);
    return null;
  },

  *'users.updateMe'({ core, identity }, args) {
    yield* core.preEvent('onUserUpdate', identity, function* (tx) {
      yield* core.requirePermissions(tx, identity, null, ['editOwnUserInfo']);
      const row = yield* tx.getUser(identity);
      return {
        Identity: identity,
        UserSid: row?.sid ?? '',
        FriendlyName: (args.friendlyName === undefined ? row?.friendly_name : args.friendlyName) ?? '',
        Attributes: args.attributes === undefined ? (row?.attributes ?? '{}') : JSON.stringify(args.attributes),
      };
    });
    return yield* core.write(identity, 'users.updateMe', args, function* (batch) {
      yield* core.requirePermissions(batch.tx, identity, null, ['editOwnUserInfo']);
      const row = yield* batch.tx.ensureUser(identity, batch.now, core.newSid('US'));
      yield* editUser(core, batch, row, args);
      return (yield* core.user(batch.tx, identity))!;
    });
  },

  *'push.register'({ core, identity }, args) {
    return yield* core.write(identity, 'push.register', args, function* (batch) {
      const { tx } = batch;
      const before = yield* tx.countRegistrations(identity);
      yield* tx.upsertRegistration(identity, args.type, args.token, batch.now);
      if (before === 0) {
        yield* tx.bumpUserVersion(identity);
        batch.afterCommit(() => core.signalUser(identity, ['isNotifiable']));
      }
      return { registeredAt: batch.now };
    });
  },

  *'push.unregister'({ core, identity }, args) {
    return yield* core.write(identity, 'push.unregister', args, function* (batch) {
      const { tx } = batch;
      if ((yield* tx.deleteRegistration(identity, args.type, args.token)) && (yield* tx.countRegistrations(identity)) === 0) {
        yield* tx.bumpUserVersion(identity);
        batch.afterCommit(() => core.signalUser(identity, ['isNotifiable']));
      }
      return null;
    });
  },

  *'token.update'(ctx, args) {
    return (yield peerOf(ctx).updateToken(args.token)) as { expiresAt: number };
  },
};

/** What a user update may change; absent fields stay. */
export interface UserChanges {
  readonly friendlyName?: string | null | undefined;
  readonly attributes?: JsonValue | undefined;
  /** The sid of the user's service role (the admin API only; checked by the caller). */
  readonly roleSid?: string | undefined;
}

/**
 * Changes a user's profile: `userUpdated` on their own stream, and the same change signalled to
 * everyone watching them after commit. Returns the row as it now is (unchanged: no event).
 */
export function* editUser(core: Core, batch: WriteBatch, row: UserRow, changes: UserChanges): Step<UserRow> {
  const next = { ...row };
  const reasons: UserUpdateReason[] = [];
  if (changes.friendlyName !== undefined && changes.friendlyName !== row.friendly_name) {
    next.friendly_name = changes.friendlyName;
    reasons.push('friendlyName');
  }
  const attributes = changedAttributes(changes.attributes, row.attributes);
  if (attributes !== undefined) {
    next.attributes = attributes;
    reasons.push('attributes');
  }
  const roleChanged = changes.roleSid !== undefined && changes.roleSid !== row.role_sid;
  if (roleChanged) next.role_sid = changes.roleSid!;
  if (reasons.length === 0) {
    // A role is not part of what users see of each other: stored, announced to no one.
    if (roleChanged) yield* batch.tx.updateUser(next);
    return roleChanged ? next : row;
  }
  next.version += 1;
  yield* batch.tx.updateUser(next);
  const user = toUser(next, yield* core.shownOnline(row.identity), (yield* batch.tx.countRegistrations(row.identity)) > 0);
  yield* batch.emit({ user: row.identity }, 'userUpdated', { user, updateReasons: reasons });
  yield* batch.webhook('onUserUpdated', null, () =>
    done({ ...userFields(next), isOnline: String(user.isOnline), isNotifiable: String(user.isNotifiable) }),
  );
  batch.afterCommit(() => core.signalUser(row.identity, reasons));
  return next;
}
