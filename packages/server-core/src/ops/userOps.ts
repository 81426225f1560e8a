import type { UserUpdateReason } from '@rx-conversations/protocol';
import { toUser } from '../rows.js';
import { serverError } from '../ServerError.js';
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
    return yield* core.write(identity, 'users.updateMe', args, function* (batch) {
      const { tx } = batch;
      const row = yield* tx.ensureUser(identity, batch.now);
      const next = { ...row };
      const reasons: UserUpdateReason[] = [];
      if (args.friendlyName !== undefined && args.friendlyName !== row.friendly_name) {
        next.friendly_name = args.friendlyName;
        reasons.push('friendlyName');
      }
      const attributes = args.attributes === undefined ? undefined : JSON.stringify(args.attributes);
      if (attributes !== undefined && attributes !== row.attributes) {
        next.attributes = attributes;
        reasons.push('attributes');
      }
      if (reasons.length === 0) return (yield* core.user(tx, identity))!;
      next.version += 1;
      yield* tx.updateUser(next);
      const user = toUser(next, yield* core.isOnline(identity), (yield* tx.countRegistrations(identity)) > 0);
      yield* batch.emit({ user: identity }, 'userUpdated', { user, updateReasons: reasons });
      batch.afterCommit(() => core.signalUser(identity, reasons));
      return user;
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
