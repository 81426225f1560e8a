import { randomBytes } from 'node:crypto';

/** Kinds of server-made identifiers, with Twilio's two-letter prefixes. */
export type SidPrefix = 'CH' | 'MB' | 'IM' | 'CN';

/** A new random sid: the prefix and 32 hex digits (128 random bits, so collisions are not a concern). */
export function newSid(prefix: SidPrefix): string {
  return prefix + randomBytes(16).toString('hex');
}
