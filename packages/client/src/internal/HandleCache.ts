/**
 * Hands out the same handle for the same key while the app holds it (STORE-4), without keeping
 * handles of conversations the app forgot: entries are weak where the runtime has `WeakRef`.
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

  constructor(private readonly create: (key: string) => H) {}

  get(key: string): H {
    const ref = this.refs.get(key);
    const held = ref instanceof WeakRef ? ref.deref() : ref;
    if (held !== undefined) return held;
    const handle = this.create(key);
    if (this.registry !== null) {
      this.refs.set(key, new WeakRef(handle));
      this.registry.register(handle, key);
    } else {
      this.refs.set(key, handle);
    }
    return handle;
  }

  clear(): void {
    this.refs.clear();
  }
}
