import type { PushType } from '@rx-conversations/protocol';
import type { StoreRuntime } from '../internal/store/StoreRuntime.js';
import type { KeyValueStorage } from './KeyValueStorage.js';

/** How long a registration is trusted before it is renewed even when the token did not change. */
export const PUSH_RENEW_AFTER_MS = 24 * 60 * 60 * 1000;

interface Stored {
  readonly token: string;
  readonly registeredAt: number;
}

/**
 * Push registrations (STORE-11): remembers the last registered token per type in the injectable
 * storage and talks to the server only when the token changed or the registration is older than a
 * day. A changed token replaces the old one (which is unregistered, best effort).
 */
export class PushRegistrar {
  constructor(
    private readonly runtime: StoreRuntime,
    private readonly storage: KeyValueStorage,
  ) {}

  private key(type: PushType): string {
    return `rxc.push.${this.runtime.session.identity}.${type}`;
  }

  private async read(type: PushType): Promise<Stored | null> {
    try {
      const raw = await this.storage.getItem(this.key(type));
      if (raw === null) return null;
      const parsed = JSON.parse(raw) as Partial<Stored>;
      return typeof parsed.token === 'string' && typeof parsed.registeredAt === 'number' ? (parsed as Stored) : null;
    } catch {
      return null;
    }
  }

  async register(type: PushType, token: string): Promise<void> {
    const now = this.runtime.scheduler.now();
    const stored = await this.read(type);
    if (stored !== null && stored.token === token && now - stored.registeredAt < PUSH_RENEW_AFTER_MS) return;
    await this.runtime.request('push.register', { type, token }, { idempotent: true });
    await this.storage.setItem(this.key(type), JSON.stringify({ token, registeredAt: now } satisfies Stored));
    if (stored !== null && stored.token !== token) {
      this.runtime.request('push.unregister', { type, token: stored.token }, { idempotent: true }).catch(() => undefined);
    }
  }

  async unregister(type: PushType, token: string): Promise<void> {
    await this.runtime.request('push.unregister', { type, token }, { idempotent: true });
    const stored = await this.read(type);
    if (stored?.token === token) await this.storage.removeItem(this.key(type));
  }
}
