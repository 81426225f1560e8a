import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { ByteRange, MediaStorage } from './MediaStorage.js';

/** Options of {@link S3MediaStorage}. */
export interface S3MediaStorageOptions {
  /** The bucket; it must exist. */
  readonly bucket: string;
  /** Prepended to every key, e.g. `'media/'`. Default none. */
  readonly prefix?: string;
  /**
   * A configured client, or the configuration of a new one (`region`, `endpoint` and
   * `forcePathStyle: true` for S3-compatible servers such as MinIO, `credentials`).
   */
  readonly client: S3Client | S3ClientConfig;
  /** Bytes per part of a multipart upload (at least 5 MiB). Default 5 MiB. */
  readonly partSize?: number;
}

const MIB = 1024 * 1024;

/**
 * Media in S3-compatible object storage (MEDIA-3), for several nodes: every node reads what any node
 * stored. Uploads stream through the official SDK's multipart `Upload`, holding at most two parts in
 * memory; an object appears only when its upload completes, and a failed upload is aborted.
 *
 * @example
 * const storage = new S3MediaStorage({ bucket: 'chat-media', client: { region: 'eu-west-1' } });
 * const server = await startServer({ keys, database: process.env.DATABASE_URL, media: { storage } });
 */
export class S3MediaStorage implements MediaStorage {
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(options: S3MediaStorageOptions) {
    if (typeof options?.bucket !== 'string' || options.bucket === '') throw new TypeError('S3MediaStorage needs a `bucket`.');
    this.ownsClient = !(options.client instanceof S3Client);
    this.client = options.client instanceof S3Client ? options.client : new S3Client(options.client);
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partSize = Math.max(5 * MIB, options.partSize ?? 5 * MIB);
  }

  /** {@inheritDoc MediaStorage.put} */
  async put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, contentType: string): Promise<void> {
    // The body checks its own length; a part size above it makes one PutObject instead of a multipart upload.
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('size must be a byte count');
    const upload = new Upload({
      client: this.client,
      queueSize: 1,
      partSize: this.partSize,
      leavePartsOnError: false,
      params: { Bucket: this.bucket, Key: this.prefix + key, Body: Readable.from(body, { objectMode: false }), ContentType: contentType },
    });
    await upload.done();
  }

  /** {@inheritDoc MediaStorage.get} */
  async get(key: string, range?: ByteRange): Promise<Readable | undefined> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }) }),
      );
      return answer.Body as Readable;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  /** {@inheritDoc MediaStorage.delete} */
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
  }

  /** {@inheritDoc MediaStorage.close} */
  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}
