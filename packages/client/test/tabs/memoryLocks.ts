// Web Locks for Node tests (Node 20 has BroadcastChannel but no `navigator.locks`): exclusive locks by
// name, granted in request order, a queued request withdrawn by its AbortSignal. The Chromium test
// (demo/test/tabs.e2e.spec.ts) runs the same code on the browser's own locks.
import type { LockManagerLike } from '../../src/tabs.js';

export function memoryLocks(): LockManagerLike {
  const held = new Set<string>();
  const queues = new Map<string, Array<() => void>>();
  const release = (name: string): void => {
    held.delete(name);
    queues.get(name)?.shift()?.();
  };
  return {
    request(name, { signal }, callback) {
      return new Promise((resolve, reject) => {
        const grant = (): void => {
          held.add(name);
          Promise.resolve()
            .then(() => callback({ name }))
            .then(resolve, reject)
            .finally(() => release(name));
        };
        if (!held.has(name)) {
          grant();
          return;
        }
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        queue.push(grant);
        signal?.addEventListener('abort', () => {
          const at = queue.indexOf(grant);
          if (at === -1) return;
          queue.splice(at, 1);
          reject(new DOMException('The request was aborted.', 'AbortError'));
        });
      });
    },
  };
}
