import type { UserUpdateReason } from '@rx-conversations/protocol';
import { toUser } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { OpHandlers } from './OpContext.js';

/** User, push-registration and token operations (SRV-2, SRV-3). */
export const userOps: OpHandlers<
  'users.get' | 'users.subscribe' | 'users.unsubscribe' | 'users.updateMe' | 'push.register' | 'push.unregister' | 'token.update'
> = {
  'users.get': ({ backend }, args) => {
    const user = backend.user(args.identity);
    if (user === undefined) throw serverError('user_not_found', 'no user has this identity', { path: 'args.identity' });
    return user;
  },

  // Unknown identities are watched too: they appear once that user first connects or is added.
  'users.subscribe': ({ backend, peer }, args) => {
    const fresh = args.identities.filter((identity) => !peer.watched.has(identity));
    for (const identity of fresh) peer.watched.add(identity);
    backend.hub.watch(peer, fresh);
    const items = args.identities.map((identity) => backend.user(identity)).filter((user) => user !== undefined);
    return { items };
  },

  'users.unsubscribe': ({ backend, peer }, args) => {
    for (const identity of args.identities) peer.watched.delete(identity);
    backend.hub.unwatch(peer, args.identities);
    return null;
  },

  'users.updateMe': ({ backend, identity }, args) =>
    backend.write(identity, 'users.updateMe', args, (batch) => {
      const row = backend.store.ensureUser(identity, batch.now);
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
      if (reasons.length === 0) return backend.user(identity)!;
      next.version += 1;
      backend.store.updateUser(next);
      const user = toUser(next, backend.hub.isOnline(identity), backend.store.countRegistrations(identity) > 0);
      batch.emit([identity], 'userUpdated', { user, updateReasons: reasons });
      batch.afterCommit(() => backend.signalUser(identity, reasons));
      return user;
    }),

  'push.register': ({ backend, identity }, args) =>
    backend.write(identity, 'push.register', args, (batch) => {
      const { store } = backend;
      const before = store.countRegistrations(identity);
      store.upsertRegistration(identity, args.type, args.token, batch.now);
      if (before === 0) {
        store.bumpUserVersion(identity);
        batch.afterCommit(() => backend.signalUser(identity, ['isNotifiable']));
      }
      return { registeredAt: batch.now };
    }),

  'push.unregister': ({ backend, identity }, args) =>
    backend.write(identity, 'push.unregister', args, (batch) => {
      const { store } = backend;
      if (store.deleteRegistration(identity, args.type, args.token) && store.countRegistrations(identity) === 0) {
        store.bumpUserVersion(identity);
        batch.afterCommit(() => backend.signalUser(identity, ['isNotifiable']));
      }
      return null;
    }),

  'token.update': ({ peer }, args) => peer.updateToken(args.token),
};
