import { fileTypeFromBuffer, supportedMimeTypes } from 'file-type';
import { serverError } from '@rx-conversations/server-core';

/** Bytes enough for every signature `file-type` knows. */
export const SNIFF_BYTES = 4100;

// Names of one type that browsers and libraries send interchangeably.
const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'video/x-m4v': 'video/mp4',
  'application/x-zip-compressed': 'application/zip',
};
const canonical = (type: string): string => ALIASES[type] ?? type;
const knowable = new Set<string>([...supportedMimeTypes].map(canonical));

/**
 * The media type of a `Content-Type` header: lower case, without parameters; undefined when it is
 * missing or not a `type/subtype`.
 */
export function mediaTypeOf(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type !== undefined && /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/.test(type) ? type : undefined;
}

/**
 * Checks the declared type against the first bytes (MEDIA-3). When the bytes are of a type `file-type`
 * recognises, it must be the declared one; when they are not, the declared type must not be one it
 * would have recognised. So a "PNG" that is really HTML, or a "text file" that is a PNG, is
 * `media_type_mismatch`; a declared type nobody can sniff (plain text, CSV) is taken as it is.
 */
export async function checkContentType(declared: string, head: Uint8Array): Promise<void> {
  const found = await fileTypeFromBuffer(head);
  const want = canonical(declared);
  if (found !== undefined ? canonical(found.mime) !== want : knowable.has(want)) {
    throw serverError('media_type_mismatch', `the bytes are not ${declared}${found === undefined ? '' : ` (they look like ${found.mime})`}`);
  }
}

/** Whether `type` matches one of the allowed patterns (`image/png`, `image/*`, `*\/*`). */
export function typeAllowed(type: string, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined) return true;
  const major = type.split('/')[0];
  return allowed.some((pattern) => {
    const p = pattern.toLowerCase();
    return p === '*/*' || p === type || (p.endsWith('/*') && p.slice(0, -2) === major);
  });
}
