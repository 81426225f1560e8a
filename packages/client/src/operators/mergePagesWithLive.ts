import { Observable, type OperatorFunction } from 'rxjs';

/** A live change for {@link mergePagesWithLive}: an item created or updated, or a key removed. */
export type LiveChange<T, K> =
  | { readonly type: 'upsert'; readonly item: T }
  | { readonly type: 'remove'; readonly key: K; readonly version?: number };

/** Options of {@link mergePagesWithLive}. */
export interface MergePagesWithLiveOptions<T, K> {
  /** Identity of an item (sid, index…). */
  readonly key: (item: T) => K;
  /** Version of an item; a page never replaces a newer (or equal) version. Without it, pages never replace what is held. */
  readonly version?: (item: T) => number;
  /** Order of the emitted array. Default: order of first arrival. */
  readonly compare?: (a: T, b: T) => number;
}

interface Slot<T> {
  readonly item: T | undefined;
  readonly version: number;
}

/**
 * Merges paged fetch results (the source: one emission per page, in any order) with a live stream
 * of changes, de-duplicated by key and guarded by version (STORE-2, STORE-5): a page item is taken
 * only if nothing newer is held for its key, and a removal leaves a tombstone so a page read before
 * it cannot bring the item back. Live changes win ties. The live stream is subscribed first, so
 * nothing that happens while the first page is in flight is missed. Emits the merged, sorted array
 * after the first page (even an empty one) and after every later page or change that altered it.
 *
 * @example
 * pages$.pipe(
 *   mergePagesWithLive(liveChanges$, { key: (c) => c.sid, version: (c) => c.version, compare: byActivity }),
 * ).subscribe((conversations) => render(conversations));
 */
export function mergePagesWithLive<T, K>(
  live$: Observable<LiveChange<T, K>>,
  options: MergePagesWithLiveOptions<T, K>,
): OperatorFunction<readonly T[], readonly T[]> {
  return (pages$) =>
    new Observable<readonly T[]>((subscriber) => {
      const slots = new Map<K, Slot<T>>();
      const versionOf = options.version;
      let emitted = false;
      const emit = (): void => {
        emitted = true;
        const items: T[] = [];
        for (const slot of slots.values()) if (slot.item !== undefined) items.push(slot.item);
        if (options.compare !== undefined) items.sort(options.compare);
        subscriber.next(items);
      };
      const run = (apply: () => boolean): void => {
        let changed: boolean;
        try {
          changed = apply();
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (changed) emit();
      };
      const liveSub = live$.subscribe({
        next: (change) =>
          run(() => {
            if (change.type === 'remove') {
              const held = slots.get(change.key);
              const version = change.version ?? Infinity;
              if (held !== undefined && held.item === undefined && held.version >= version) return false;
              slots.set(change.key, { item: undefined, version });
              return held?.item !== undefined;
            }
            const key = options.key(change.item);
            const version = versionOf?.(change.item) ?? 0;
            const held = slots.get(key);
            if (held !== undefined && (held.item === change.item || (held.item === undefined && held.version >= version) || (versionOf !== undefined && held.version > version))) {
              return false;
            }
            slots.set(key, { item: change.item, version });
            return true;
          }),
        error: (e: unknown) => subscriber.error(e),
      });
      const pageSub = pages$.subscribe({
        next: (page) =>
          run(() => {
            let changed = false;
            for (const item of page) {
              const key = options.key(item);
              const held = slots.get(key);
              const version = versionOf?.(item) ?? 0;
              if (held !== undefined && (versionOf === undefined || held.version >= version)) continue;
              slots.set(key, { item, version });
              changed = true;
            }
            return changed || !emitted;
          }),
        error: (e: unknown) => subscriber.error(e),
        complete: () => undefined, // the live stream goes on
      });
      return () => {
        liveSub.unsubscribe();
        pageSub.unsubscribe();
      };
    });
}
