import { BehaviorSubject, Observable } from 'rxjs';

interface Entry<V> {
  readonly subject: BehaviorSubject<V>;
  refs: number;
}

/**
 * Keyed selection (PERF-3): one `BehaviorSubject` per observed key, fed only when the store says that
 * key changed, so an event for one conversation costs nothing for observers of the others. Subjects
 * exist only while observed; `onFirst`/`onLast` let the store start and stop work per key.
 */
export class KeyedSubjects<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private completed = false;

  constructor(
    private readonly read: (key: string) => V,
    private readonly hooks: { onFirst?: (key: string) => void; onLast?: (key: string) => void } = {},
  ) {}

  /** Replays the current value, then every change, each emitted once (distinct by reference); completes at once after {@link complete}. */
  select(key: string): Observable<V> {
    return new Observable<V>((subscriber) => {
      if (this.completed) return subscriber.complete();
      let entry = this.entries.get(key);
      const first = entry === undefined;
      if (entry === undefined) {
        entry = { subject: new BehaviorSubject(this.read(key)), refs: 0 };
        this.entries.set(key, entry);
      }
      entry.refs += 1;
      const subscription = entry.subject.subscribe(subscriber);
      if (first) this.hooks.onFirst?.(key);
      return () => {
        subscription.unsubscribe();
        entry.refs -= 1;
        if (entry.refs === 0 && this.entries.get(key) === entry) {
          this.entries.delete(key);
          this.hooks.onLast?.(key);
        }
      };
    });
  }

  /** Re-reads `key` and emits when its value changed. O(1) when nobody observes `key`. */
  notify(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    const value = this.read(key);
    if (value !== entry.subject.value) entry.subject.next(value);
  }

  /** Re-reads every observed key (for the rare batch that touches keys it cannot name). */
  notifyAll(): void {
    for (const key of [...this.entries.keys()]) this.notify(key);
  }

  isObserved(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** Completes every subject (shutdown). */
  complete(): void {
    this.completed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const e of entries) e.subject.complete();
  }
}
