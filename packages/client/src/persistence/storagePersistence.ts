import type { Subscription } from 'rxjs';
import type { ClientPersistence, PersistenceHost, PersistenceLink } from './ClientPersistence.js';
import type { PersistenceStorage } from './PersistenceStorage.js';
import type { StoreAction } from '../internal/store/StoreAction.js';
import { newIdempotencyKey } from '../internal/newIdempotencyKey.js';
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
  type OutboxMessage,
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
 * When the storage lists keys (`PersistenceStorage.keys`, as the bundled adapters do), each client keeps
 * its outbox under a key of its own: tabs or processes of one identity on one storage never overwrite
 * each other's queued sends. A client that starts takes over every outbox it finds (a client that
 * closed, or crashed, left it there) and sends it; a send that two clients hold goes out with the same
 * idempotency key, so it lands once.
 *
 * @example
 * const client = new ConversationsClient(token, { url, persistence: storagePersistence(myStorage) });
 */
export function storagePersistence(storage: PersistenceStorage, options: PersistenceOptions = {}): ClientPersistence {
  const s = storage as Partial<PersistenceStorage> | null;
  if (s === null || typeof s !== 'object' || typeof s.read !== 'function' || typeof s.write !== 'function' || typeof s.remove !== 'function') {
    throw new TypeError('storagePersistence: storage must have read, write and remove functions');
  }
  if (s.keys !== undefined && typeof s.keys !== 'function') throw new TypeError('storagePersistence: storage.keys must be a function when present');
  const writeDelayMs = options.writeDelayMs ?? DEFAULT_WRITE_DELAY_MS;
  if (typeof writeDelayMs !== 'number' || !Number.isFinite(writeDelayMs) || writeDelayMs < 0) {
    throw new TypeError('storagePersistence: options.writeDelayMs must be a non-negative finite number');
  }
  return { kind: 'rx-conversations.persistence', attach: (host) => new PersistentCache(storage, host, writeDelayMs) };
}

/** One client's cache: restores it at start, writes it in batches, wipes it on request. */
class PersistentCache implements PersistenceLink {
  private readonly key: string;
  /** The keys of the clients' own outboxes start with this. */
  private readonly outboxPrefix: string;
  /** This client's outbox key; null when the storage cannot list keys (the outbox then lives in the snapshot). */
  private readonly outboxKey: string | null;
  /** What this client's outbox key holds (null: nothing), so an unchanged outbox is not written again. */
  private outboxText: string | null = null;
  /**
   * Outboxes of other clients taken over, with the text read: each is removed once this client's own
   * is written, unless it changed since (its client still runs, and queued more).
   */
  private adopted = new Map<string, string>();
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
    this.outboxPrefix = `${this.key}#outbox:`;
    this.outboxKey = typeof storage.keys === 'function' ? this.outboxPrefix + newIdempotencyKey() : null;
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
    const outbox = mergeOutboxes([snapshot?.outbox ?? [], ...(await this.loadOutboxes())]);
    // What was taken over is removed once written again under this client's key (or sent).
    if (outbox.length > 0 || this.adopted.size > 0) {
      this.dirty = true;
      this.schedule(0);
    }
    const { runtime } = this.host;
    if (runtime.isClosed) {
      this.cache = snapshot?.cache ?? null;
      this.unsent = outbox;
      return null;
    }
    // Only into a store that has not heard from the server (a core that cannot wait for the cache).
    this.cache = this.welcomed || snapshot === null ? null : snapshot.cache;
    if (this.cache !== null) runtime.dispatch(restoreActions(this.cache));
    // A send the cache already holds as sent was acknowledged after the outbox was last written.
    const sent = new Set(this.cache?.windows.flatMap((w) => w.messages.map((m) => m.idempotencyKey)));
    for (const entry of outbox) {
      if (!sent.has(entry.idempotencyKey)) this.host.client.conversation(entry.conversationSid).resendRestored(pendingOf(entry));
    }
    return this.cache?.position ?? null;
  }

  /** The outboxes other clients of this identity left under their own keys; each one read is taken over. */
  private async loadOutboxes(): Promise<Array<readonly OutboxMessage[]>> {
    if (this.outboxKey === null) return [];
    const found: Array<readonly OutboxMessage[]> = [];
    try {
      for (const key of await this.listOutboxes()) {
        const text = await this.storage.read(key);
        if (text === null) continue;
        const decoded = decodeSnapshot(text, this.identity, this.url);
        if (typeof decoded === 'string') {
          this.warn(`persistent outbox discarded: ${decoded}`, { key });
          await this.storage.remove(key);
          continue;
        }
        found.push(decoded.outbox);
        this.adopted.set(key, text);
      }
    } catch (error) {
      this.warn('persistent outboxes could not all be read; the rest are kept for the next start', { error: String(error) });
    }
    return found;
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
      const snapshot = this.snapshot();
      if (this.outboxKey === null) {
        await this.storage.write(this.key, encodeSnapshot(snapshot));
        return;
      }
      // This client's outbox first, then the shared snapshot without one, then the outboxes taken
      // over: a crash between any two steps leaves every queued send stored at least once. At
      // shutdown a waiting outbox is written even if unchanged: a client starting meanwhile may have
      // taken it over and removed it.
      const text = snapshot.outbox.length === 0 ? null : JSON.stringify({ ...snapshot, cache: null });
      if (text !== this.outboxText || (text !== null && this.closing !== undefined)) {
        await (text === null ? this.storage.remove(this.outboxKey) : this.storage.write(this.outboxKey, text));
        this.outboxText = text;
      }
      await this.storage.write(this.key, encodeSnapshot({ ...snapshot, outbox: [] }));
      for (const [key, read] of this.adopted) {
        this.adopted.delete(key);
        if ((await this.storage.read(key)) === read) await this.storage.remove(key);
      }
    }, 'written');
  }

  /** Removes this identity's snapshot and every outbox stored for it. */
  private async clear(): Promise<void> {
    await this.storage.remove(this.key);
    if (this.outboxKey === null) return;
    for (const key of new Set([this.outboxKey, ...(await this.listOutboxes())])) await this.storage.remove(key);
  }

  /** The outbox keys stored: only those under this identity's prefix, whatever the storage's `keys` returns. */
  private async listOutboxes(): Promise<string[]> {
    const keys = await this.storage.keys!(this.outboxPrefix);
    return keys.filter((key) => typeof key === 'string' && key.startsWith(this.outboxPrefix));
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
    if (this.outboxText !== null) this.dirty = true;
    this.closing = clear ? this.enqueue(() => this.clear(), 'removed') : this.write();
    return this.closing;
  }
}

/** The sends of several outboxes, each once (by idempotency key), in send order. */
function mergeOutboxes(outboxes: ReadonlyArray<readonly OutboxMessage[]>): OutboxMessage[] {
  const seen = new Set<string>();
  const merged: OutboxMessage[] = [];
  for (const entry of outboxes.flat()) {
    if (seen.has(entry.idempotencyKey)) continue;
    seen.add(entry.idempotencyKey);
    merged.push(entry);
  }
  // Stable: each client's sends keep their order, which is what the server sees.
  return merged.sort((a, b) => a.createdAt - b.createdAt);
}
