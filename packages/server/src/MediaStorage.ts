import type { Readable } from 'node:stream';

/** A byte range of a stored object, both ends included. */
export interface ByteRange {
  /** The first byte, from 0. */
  readonly start: number;
  /** The last byte, included. */
  readonly end: number;
}

/**
 * Where the server keeps uploaded media bytes (MEDIA-3): a filesystem directory on one node
 * ({@link FileMediaStorage}), or S3-compatible object storage that several nodes share
 * ({@link S3MediaStorage}). Keys are the server's own (media sids, letters, digits and dots).
 *
 * `put` must be all or nothing: while `body` is being read nothing is visible under `key`, and when
 * `body` throws (a truncated upload, a type that lies) nothing is left behind.
 *
 * @example
 * const storage: MediaStorage = new FileMediaStorage('/var/lib/rx-conversations/media');
 * const server = await startServer({ keys, media: { storage } });
 */
export interface MediaStorage {
  /** Stores exactly `size` bytes read from `body` under `key`; visible only once this resolves. */
  put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, contentType: string): Promise<void>;
  /** The object's bytes (only `range` when given), or undefined when there is no such object. */
  get(key: string, range?: ByteRange): Promise<Readable | undefined>;
  /** Deletes the object; deleting a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Releases what the storage holds (clients, temporary directories). */
  close?(): Promise<void>;
}
