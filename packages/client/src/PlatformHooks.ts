/** A signal from the device that now is a good time to reconnect. */
export type PlatformSignal = 'online' | 'offline' | 'visible' | 'hidden';

/**
 * Browser-environment hooks (CONN-3). The default listens to `online` and `visibilitychange` on
 * `globalThis`/`document` where they exist; pass your own (React Native's NetInfo, an Electron power
 * monitor) or `null` to disable.
 *
 * @example
 * const platform: PlatformHooks = {
 *   watch(listener) {
 *     const onOnline = () => listener('online');
 *     window.addEventListener('online', onOnline);
 *     return () => window.removeEventListener('online', onOnline);
 *   },
 * };
 */
export interface PlatformHooks {
  /** Starts calling `listener` on each signal; returns a function that stops it (called at shutdown). */
  watch(listener: (signal: PlatformSignal) => void): () => void;
}
