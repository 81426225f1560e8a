import type { Draft } from 'immer';
import type { User } from '@rx-conversations/protocol';
import type { StoreAction } from './StoreAction.js';
import type { MeSlice } from './StoreState.js';
import type { ReduceContext } from './conversationsReducer.js';

/** Whether `next` should replace `current`: newer, or the same version with different reachability. */
export function isNewerUser(current: User | null | undefined, next: User): boolean {
  if (current == null) return true;
  if (current === next) return false;
  if (next.version !== current.version) return next.version > current.version;
  return (
    next.isOnline !== current.isOnline ||
    next.isNotifiable !== current.isNotifiable ||
    next.friendlyName !== current.friendlyName
  );
}

/** The watched-users reducer (STORE-10): `users.subscribe` answers and `userUpdated` signals. */
export function usersReducer(users: Draft<Record<string, User>>, action: StoreAction, _ctx: ReduceContext): void {
  switch (action.type) {
    case 'usersLoaded': {
      for (const u of action.users) if (isNewerUser(users[u.identity] as User | undefined, u)) users[u.identity] = u as Draft<User>;
      return;
    }
    case 'userSignal':
    case 'meUpdated':
    case 'meFetched': {
      const u = action.user;
      const current = users[u.identity] as User | undefined;
      // Only watched users are kept; a signal after `users.unsubscribe` must not re-add one.
      if (current !== undefined && isNewerUser(current, u)) users[u.identity] = u as Draft<User>;
      return;
    }
    case 'userUnwatched': {
      if (users[action.identity] !== undefined) delete users[action.identity];
      return;
    }
    default:
      return;
  }
}

/** The `me` reducer: the handshake's user, durable `userUpdated` events and `users.updateMe` results. */
export function meReducer(me: Draft<MeSlice>, action: StoreAction, ctx: ReduceContext): void {
  switch (action.type) {
    case 'sessionStarted':
    case 'meFetched':
    case 'meUpdated':
    case 'userSignal': {
      if (action.user.identity !== ctx.identity) return;
      if (action.type === 'meUpdated' || isNewerUser(me.user as User | null, action.user)) me.user = action.user as Draft<User>;
      return;
    }
    case 'usersLoaded': {
      const mine = action.users.find((u) => u.identity === ctx.identity);
      if (mine !== undefined && isNewerUser(me.user as User | null, mine)) me.user = mine as Draft<User>;
      return;
    }
    default:
      return;
  }
}
