import type { Draft } from 'immer';
import type { StoreAction } from './StoreAction.js';
import type { SyncSlice } from './StoreState.js';
import type { ReduceContext } from './conversationsReducer.js';

/** The synchronisation slice: status (CONN-6) and the highest durable sequence applied. */
export function syncReducer(sync: Draft<SyncSlice>, action: StoreAction, ctx: ReduceContext): void {
  if (action.type === 'syncStatusChanged') {
    if (sync.status !== action.status) sync.status = action.status;
    // Restored from the cache: shown until the server confirms it (a resumed session or a completed sync).
    const cached = action.cached ?? (sync.cached && action.status !== 'completed');
    if (sync.cached !== cached) sync.cached = cached;
    return;
  }
  if (ctx.headSeq > sync.headSeq) sync.headSeq = ctx.headSeq;
}
