import type { Subscription } from 'rxjs';
import type { ClientPersistence, PersistenceHost, PersistenceLink } from './ClientPersistence.js';
import type { PersistenceStorage } from './PersistenceStorage.js';
import type { StoreAction } from '../internal/store/StoreAction.js';
import {
  cacheOf,
  CACHE_SCHEMA_VERSION,
  decodeSnapshot,
  encodeSnapshot,
  outboxOf,
  pendingOf,
  restoreActions,
  type CachedState,
  type CacheSnapshot,
} from './cacheSnapshot.js';

/** Options of the persistence factories. */
export interface PersistenceOptions {
  /**
   * Changes are written at most once per this period, in one batch, off the path of events. A change
   * to the outbox (a send queued or acknowledged) is written at once, still batched. Default 1,000 ms.
   */
  readonly writeDelayMs?: number;
}

const DEFAULT_WRITE_DELAY_MS = 1_000;

/** Actions that change the outbox: the snapshot is written without waiting for the delay (OFFLINE-2). */
const OUTBOX_ACTIONS = new Set<StoreAction['type']>(['sendQueued', 'sendSucceeded', 'sendFailed', 'sendRetried', 'messageRemovedLocally']);

/**
 * A persistent cache and outbox (OFFLINE-1, OFFLINE-2) on any {@link PersistenceStorage}: pass the
 * result as `options.persistence`. The bundled adapters are this over IndexedDB
 * (`indexedDbPersistence`) and files (`filePersistence`).
 *
 * At construction the client reads its identity's snapshot and shows it at once (`cached$` is true),
 * before the socket opens; the handshake then resumes from the snapshot's position, so the server
 * replays only what happened meanwhile. A server that can no longer replay from there gets a full
 * synchronisation that replaces the cache. Sends that were waiting go out again, in order, with their
 * idempotency keys. A snapshot of another schema version, identity or server, or that cannot be read,
 * is discarded with a warning (never thrown).
 *
 * @example
 * const client = new ConversationsClient(token, { url, persistence: storagePersistence(myStorage) });
 */
export function storagePersistence(storage: PersistenceStorage, options: PersistenceOptions = {}): ClientPersistence {
  const s = storage as Partial<PersistenceStorage> | null;
  if (s === null || typeof s !== 'object' || typeof s.read !== 'function' || typeof s.write !== 'function' || typeof s.remove !== 'function') {
    throw new TypeError('storagePersistence: storage must have read, write and remove functions');
  }
  const writeDelayMs = options.writeDelayMs ?? DEFAULT_WRITE_DELAY_MS;
  if (typeof writeDelayMs !== 'number' || !Number.isFinite(writeDelayMs) || writeDelayMs < 0) {
    throw new TypeError('storagePersistence: options.writeDelayMs must be a non-negative finite number');
  }
  return { kind: 'rx-conversations.persistence', attach: (host) => new PersistentCache(storage, host, writeDelayMs) };
}

/** One client's cache: restores it at start, writes it in batches, wipes it on request. */
class PersistentCache implements PersistenceLink {
  private readonly key: string;
  private readonly identity: string;
  private readonly url: string;
  /** Storage operations, one after another (a write never overtakes the read or another write). */
  private chain: Promise<void>;
  /** The cache part last written or restored: written again while the store holds nothing consistent. */
  private cache: CachedState | null = null;
  /** Restored sends not handed back to the client (it shut down first): kept for the next start. */
  private unsent: CacheSnapshot['outbox'] = [];
  /** A session started: from then on the store's own state is the truth, once synchronised. */
  private welcomed = false;
  private dirty = false;
  private timer: Subscription | undefined;
  private dueAt = Infinity;
  private readonly subscriptions: Subscription[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly storage: PersistenceStorage,
    private readonly host: PersistenceHost,
    private readonly writeDelayMs: number,
  ) {
    const { runtime } = host;
    this.identity = runtime.session.identity;
    this.url = host.options.url ?? '';
    this.key = `rx-conversations:${this.identity}@${this.url}`;
    const loading = this.identity === '' ? Promise.resolve(null) : this.load();
    this.chain = loading.then(() => undefined);
    host.core.resumeFrom?.(loading);
    // First pages wait for the cache, which may hold them (ROBUST-4).
    host.runtime.restoring = loading.finally(() => {
      host.runtime.restoring = undefined;
    });
    // A token without an identity (malformed: the client is denied) has nothing to keep.
    if (this.identity === '') return;
    this.subscriptions.push(
      runtime.session.sessions$.subscribe(() => {
        this.welcomed = true;
      }),
      runtime.store.applied$.subscribe((batch) => {
        this.dirty = true;
        this.schedule(batch.actions.some((a) => OUTBOX_ACTIONS.has(a.type)) ? 0 : this.writeDelayMs);
      }),
    );
  }

  /** Reads, checks and restores the snapshot; resolves with the position to resume from. */
  private async load(): Promise<number | null> {
    let snapshot: CacheSnapshot | null = null;
    try {
      const text = await this.storage.read(this.key);
      if (text !== null) {
        const decoded = decodeSnapshot(text, this.identity, this.url);
        if (typeof decoded === 'string') {
          this.warn(`persistent cache discarded: ${decoded}`, { key: this.key });
          await this.storage.remove(this.key);
        } else {
          snapshot = decoded;
        }
      }
    } catch (error) {
      this.warn('persistent cache could not be read; starting without it', { error: String(error) });
    }
    const { runtime } = this.host;
    if (snapshot === null) return null;
    if (runtime.isClosed) {
      this.cache = snapshot.cache;
      this.unsent = snapshot.outbox;
      return null;
    }
    // Only into a store that has not heard from the server (a core that cannot wait for the cache).
    this.cache = this.welcomed ? null : snapshot.cache;
    if (this.cache !== null) runtime.dispatch(restoreActions(this.cache));
    // A send the cache already holds as sent was acknowledged after the outbox was last written.
    const sent = new Set(this.cache?.windows.flatMap((w) => w.messages.map((m) => m.idempotencyKey)));
    for (const entry of snapshot.outbox) {
      if (!sent.has(entry.idempotencyKey)) this.host.client.conversation(entry.conversationSid).resendRestored(pendingOf(entry));
    }
    return this.cache?.position ?? null;
  }

  /** Makes a write happen within `delay`: an earlier due time replaces a later one, never the reverse. */
  private schedule(delay: number): void {
    const { scheduler } = this.host.runtime;
    const at = scheduler.now() + delay;
    if (at >= this.dueAt || this.closing !== undefined) return;
    this.timer?.unsubscribe();
    this.dueAt = at;
    this.timer = scheduler.schedule(() => {
      this.timer = undefined;
      this.dueAt = Infinity;
      this.write();
    }, delay);
  }

  private snapshot(): CacheSnapshot {
    const { runtime } = this.host;
    const state = runtime.store.state;
    const position = this.host.core.lastAppliedSeq ?? null;
    // The store's state matches a position only once synchronised (or, before any session, when it
    // is the restored cache plus local sends); in between, the last consistent cache is kept.
    const consistent = state.sync.status === 'completed' || (state.sync.cached && !this.welcomed);
    if (consistent && position !== null) this.cache = cacheOf(state, position);
    return { v: CACHE_SCHEMA_VERSION, identity: this.identity, url: this.url, cache: this.cache, outbox: [...this.unsent, ...outboxOf(state)] };
  }

  /** Writes the snapshot as it is when the storage is free (after the read, after the previous write). */
  private write(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      await this.storage.write(this.key, encodeSnapshot(this.snapshot()));
    }, 'written');
  }

  private enqueue(operation: () => Promise<void>, what: string): Promise<void> {
    this.chain = this.chain.then(operation).catch((error: unknown) => {
      this.warn(`persistent cache could not be ${what}`, { error: String(error) });
    });
    return this.chain;
  }

  /** Through the app's logger, whatever its level: a discarded cache is worth knowing about. */
  private warn(message: string, fields: Record<string, unknown>): void {
    this.host.options.logger?.warn(message, fields);
  }

  close(clear: boolean): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    for (const s of this.subscriptions) s.unsubscribe();
    this.timer?.unsubscribe();
    this.closing = clear ? this.enqueue(() => this.storage.remove(this.key), 'removed') : this.write();
    return this.closing;
  }
}
