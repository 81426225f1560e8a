import type { Draft } from 'immer';

/**
 * A record split into a fixed number of buckets by a hash of the key. Copying a plain record of
 * 1,000 entries costs ~0.45 ms in V8 (dictionary-mode spread), so one event must never copy one:
 * a write here copies the bucket array (64 pointers) and one bucket (~n/64 entries). PERF-1, PERF-2.
 */
export type ChunkedRecord<V> = readonly Readonly<Record<string, V>>[];

export const BUCKETS = 64;

/** FNV-1a of the key, folded to a bucket number. */
export function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

export function emptyChunkedRecord<V>(): ChunkedRecord<V> {
  return Array.from({ length: BUCKETS }, () => ({}));
}

export function crGet<V>(record: ChunkedRecord<V>, key: string): V | undefined {
  return record[bucketOf(key)]![key];
}

export function crSet<V>(record: Draft<ChunkedRecord<V>>, key: string, value: V): void {
  (record[bucketOf(key)] as Record<string, V>)[key] = value;
}

export function crDelete<V>(record: Draft<ChunkedRecord<V>>, key: string): void {
  const bucket = record[bucketOf(key)] as Record<string, V>;
  if (key in bucket) delete bucket[key];
}

/** All keys (order unspecified). */
export function crKeys<V>(record: ChunkedRecord<V>): string[] {
  const keys: string[] = [];
  for (const bucket of record) for (const key in bucket) keys.push(key);
  return keys;
}

/** Number of entries. */
export function crSize<V>(record: ChunkedRecord<V>): number {
  let n = 0;
  for (const bucket of record) for (const _ in bucket) n++;
  return n;
}
