import type { Draft } from 'immer';
import type { StoreAction } from './StoreAction.js';
import type { SyncSlice } from './StoreState.js';

/**
 * The synchronisation slice: status (CONN-6), whether what the store shows came from the persistent
 * cache (OFFLINE-1), and the highest durable sequence applied. Takes the whole batch and writes each
 * field at most once: every read of a draft's field goes through immer's proxy, and reading `headSeq`
 * once per event was 6 % of a live stream's profile (PERF-2).
 */
export function syncReducer(sync: Draft<SyncSlice>, actions: readonly StoreAction[], headSeq: number): void {
  if (headSeq > sync.headSeq) sync.headSeq = headSeq;
  let status: SyncSlice['status'] | undefined;
  let cached = false;
  for (const action of actions) {
    if (action.type !== 'syncStatusChanged') continue;
    cached = action.cached ?? ((status === undefined ? sync.cached : cached) && action.status !== 'completed');
    status = action.status;
  }
  if (status === undefined) return;
  if (sync.status !== status) sync.status = status;
  // Restored from the cache: shown until the server confirms it (a resumed session or a completed sync).
  if (sync.cached !== cached) sync.cached = cached;
}
