import { filter, type Observable } from 'rxjs';
import type { User } from '@rx-conversations/protocol';
import type { StoreRuntime } from './internal/store/StoreRuntime.js';

/**
 * A user, observed live (STORE-10): `state$` (friendlyName, attributes, `isOnline`, `isNotifiable`)
 * watches the user on the server (`users.subscribe`) while anyone subscribes, and stops when nobody
 * does. Get it from `client.getUser(identity)`: the same object per identity while in use.
 *
 * @example
 * const bob = await client.getUser('bob');
 * bob.state$.subscribe((user) => setPresence(user.isOnline));
 */
export class UserHandle {
  /** Replays the latest known state, then every change. */
  readonly state$: Observable<User>;

  /** @internal Use `client.getUser(identity)`. */
  constructor(
    readonly identity: string,
    private readonly runtime: StoreRuntime,
    private readonly snapshot: User,
  ) {
    this.state$ = runtime.store.users.select(identity).pipe(filter((u): u is User => u !== undefined));
  }

  /** The latest state this client knows (live while `state$` is observed, else from `getUser`). */
  get state(): User {
    return this.runtime.store.state.users[this.identity] ?? this.snapshot;
  }

  /** The current state, waiting for the watch to be answered. */
  getState(): Promise<User> {
    return this.runtime.first(this.state$);
  }
}
