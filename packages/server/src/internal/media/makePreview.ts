import type { Readable } from 'node:stream';
import type { MediaPreview } from '@rx-conversations/protocol';

/** Types sharp reads, whose uploads get a preview. */
const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/gif', 'image/webp', 'image/avif', 'image/tiff', 'image/heif']);

/** Whether an upload of this type gets a preview. */
export function previewable(contentType: string): boolean {
  return PREVIEWABLE.has(contentType);
}

/**
 * A small WebP (at most `maxSide` pixels wide and high, never enlarged, turned upright by its EXIF
 * orientation) of an image read as a stream (MEDIA-3). sharp is loaded on first use, so a server that
 * never sees an image never loads libvips. Images above 40 megapixels are refused by sharp: a
 * decompression bomb costs nothing but the error.
 */
export async function makePreview(image: Readable, maxSide: number): Promise<{ bytes: Buffer; preview: MediaPreview }> {
  const { default: sharp } = await import('sharp');
  const transformer = sharp({ limitInputPixels: 40_000_000, animated: false })
    .rotate()
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 70 });
  image.on('error', (err) => transformer.destroy(err));
  image.pipe(transformer);
  const { data, info } = await transformer.toBuffer({ resolveWithObject: true });
  return { bytes: data, preview: { contentType: 'image/webp', width: info.width, height: info.height, size: data.length } };
}
