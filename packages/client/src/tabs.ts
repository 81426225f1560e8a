// Public API of @rx-conversations/client/tabs: several tabs share one websocket (OFFLINE-3), kept out of
// the main entry so apps that do not use it do not pay for it (PERF-7).
export { shareAcrossTabs } from './tabs/shareAcrossTabs.js';
export type { ShareAcrossTabsOptions } from './tabs/shareAcrossTabs.js';
export type { BroadcastChannelLike, LockManagerLike } from './tabs/TabCore.js';
export type { TabSharing } from './tabs/TabSharing.js';
