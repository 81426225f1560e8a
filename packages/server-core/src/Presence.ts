import type { Fanout } from './Fanout.js';
import { done, type Step } from './Step.js';

/**
 * Who is online (SCALE-4): a user is online while they have a live connection on any node. The core
 * asks it for `isOnline` in user snapshots and before a push (push goes only to users connected nowhere).
 */
export interface Presence {
  /** Online on any node. */
  isOnline(identity: string): Step<boolean>;
  /** The user's first connection on this node opened (`true`) or their last one here closed (`false`). */
  changed(identity: string, online: boolean): void;
}

/** The presence of a single node: its own live connections. */
export function localPresence(fanout: Fanout): Presence {
  return {
    isOnline: (identity) => done(fanout.isOnline(identity)),
    changed: () => {},
  };
}
