/**
 * Hands out the same handle for the same key while the app holds it (STORE-4), without keeping
 * handles the app forgot: entries are weak where the runtime has `WeakRef`, and the map forgets a key
 * once its handle is collected, so it does not grow with every key ever asked for (ROBUST-2).
 */
export class HandleCache<H extends object> {
  private readonly weak = typeof WeakRef === 'function' && typeof FinalizationRegistry === 'function';
  private readonly refs = new Map<string, WeakRef<H> | H>();
  private readonly registry = this.weak
    ? new FinalizationRegistry<string>((key) => {
        const ref = this.refs.get(key);
        if (ref instanceof WeakRef && ref.deref() === undefined) this.refs.delete(key);
      })
    : null;

  constructor(private readonly create?: (key: string) => H) {}

  /** The handle held for `key`, if any. */
  peek(key: string): H | undefined {
    const ref = this.refs.get(key);
    return ref instanceof WeakRef ? ref.deref() : ref;
  }

  /** The handle held for `key`, or a new one from `create`. */
  get(key: string, create = this.create!): H {
    const held = this.peek(key);
    if (held !== undefined) return held;
    const handle = create(key);
    if (this.registry !== null) {
      this.refs.set(key, new WeakRef(handle));
      this.registry.register(handle, key);
    } else {
      this.refs.set(key, handle);
    }
    return handle;
  }

  /** Forgets every handle (shutdown). */
  clear(): void {
    this.refs.clear();
  }

  /** @internal Keys held (tests). */
  get size(): number {
    return this.refs.size;
  }
}
