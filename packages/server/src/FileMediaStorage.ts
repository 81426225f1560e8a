import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, MediaStorage } from './MediaStorage.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Where an upload is written until it is complete: a directory no key can name. */
export const INCOMING_DIR = '.incoming';

function checked(key: string): string {
  if (!KEY.test(key)) throw new TypeError(`invalid media key ${JSON.stringify(key.slice(0, 40))}`);
  return key;
}

/**
 * Media on the local filesystem (MEDIA-3), the default: one file per object in `directory` (created on
 * first use). An upload is written to `directory/.incoming/` and renamed into place once complete, so a
 * reader never sees half a file; a failed one is deleted.
 *
 * @example
 * const storage = new FileMediaStorage('./data/rx-conversations.media');
 */
export class FileMediaStorage implements MediaStorage {
  /**
   * @param directory - where the files live.
   * @param options.removeOnClose - delete the whole directory on `close()` (a temporary one).
   */
  constructor(
    /** Where the files live. */
    readonly directory: string,
    private readonly options: { readonly removeOnClose?: boolean } = {},
  ) {}

  /** {@inheritDoc MediaStorage.put} */
  async put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): Promise<void> {
    const target = join(this.directory, checked(key));
    const incoming = join(this.directory, INCOMING_DIR);
    await mkdir(incoming, { recursive: true });
    const temporary = join(incoming, `${key}.${randomBytes(6).toString('hex')}`);
    try {
      await pipeline(ReadableStream.from(body, { objectMode: false }), createWriteStream(temporary, { flags: 'wx' }));
      const written = (await stat(temporary)).size;
      if (written !== size) throw new Error(`wrote ${written} bytes, expected ${size}`);
      await rename(temporary, target);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }

  /** {@inheritDoc MediaStorage.get} */
  async get(key: string, range?: ByteRange): Promise<Readable | undefined> {
    const path = join(this.directory, checked(key));
    const stream = createReadStream(path, range === undefined ? {} : { start: range.start, end: range.end });
    // Opening is asynchronous: wait for it, so a missing file is `undefined`, not a stream that errors.
    return await new Promise<Readable | undefined>((resolve, reject) => {
      stream.once('ready', () => resolve(stream));
      stream.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(undefined) : reject(err)));
    });
  }

  /** {@inheritDoc MediaStorage.delete} */
  async delete(key: string): Promise<void> {
    await rm(join(this.directory, checked(key)), { force: true });
  }

  /** {@inheritDoc MediaStorage.close} */
  async close(): Promise<void> {
    if (this.options.removeOnClose === true) await rm(this.directory, { recursive: true, force: true });
  }
}
