import type { PlatformHooks, PlatformSignal } from '../../PlatformHooks.js';

interface ListenerTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

function isTarget(value: unknown): value is ListenerTarget {
  return value !== null && typeof value === 'object'
    && typeof (value as ListenerTarget).addEventListener === 'function'
    && typeof (value as ListenerTarget).removeEventListener === 'function';
}

/**
 * The browser's reconnect hints (CONN-3): `online`/`offline` on the global object and
 * `visibilitychange` on `document`. Null where the global object takes no listeners (Node), so
 * nothing is attached there at all.
 */
export function defaultPlatformHooks(): PlatformHooks | null {
  const global: unknown = globalThis;
  if (!isTarget(global)) return null;
  const doc = (globalThis as { document?: unknown }).document;
  const visibilityTarget: ListenerTarget = isTarget(doc) ? doc : global;
  return {
    watch(listener: (signal: PlatformSignal) => void): () => void {
      const online = (): void => listener('online');
      const offline = (): void => listener('offline');
      const visibility = (): void => {
        const state = (doc as { visibilityState?: unknown } | undefined)?.visibilityState;
        listener(state === 'hidden' ? 'hidden' : 'visible');
      };
      global.addEventListener('online', online);
      global.addEventListener('offline', offline);
      visibilityTarget.addEventListener('visibilitychange', visibility);
      return () => {
        global.removeEventListener('online', online);
        global.removeEventListener('offline', offline);
        visibilityTarget.removeEventListener('visibilitychange', visibility);
      };
    },
  };
}
