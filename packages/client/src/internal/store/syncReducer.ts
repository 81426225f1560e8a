import type { Draft } from 'immer';
import type { StoreAction } from './StoreAction.js';
import type { SyncSlice } from './StoreState.js';

/**
 * The synchronisation slice: status (CONN-6) and the highest durable sequence applied. Takes the whole
 * batch and writes each field at most once: every read of a draft's field goes through immer's proxy,
 * and reading `headSeq` once per event was 6 % of a live stream's profile (PERF-2).
 */
export function syncReducer(sync: Draft<SyncSlice>, actions: readonly StoreAction[], headSeq: number): void {
  if (headSeq > sync.headSeq) sync.headSeq = headSeq;
  let status: SyncSlice['status'] | undefined;
  for (const action of actions) if (action.type === 'syncStatusChanged') status = action.status;
  if (status !== undefined && sync.status !== status) sync.status = status;
}
