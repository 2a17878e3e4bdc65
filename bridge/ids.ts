import { createHash } from 'node:crypto';

/**
 * Matrix identifiers derived from our own records, in one module. A ghost's localpart is opaque:
 * it never contains the customer's phone number (user IDs are public across federation and
 * cannot be changed or erased).
 */

/** The part of a contact's ghost localpart after the configured prefix. */
export function ghostSuffix(contactId: string): string {
  return createHash('sha256').update(`contact:${contactId}`).digest('hex').slice(0, 20);
}

export function ghostLocalpart(prefix: string, contactId: string): string {
  return `${prefix}${ghostSuffix(contactId)}`;
}

export function userId(localpart: string, domain: string): string {
  return `@${localpart}:${domain}`;
}

/** The localpart of a user ID, or undefined when it is not on this server. */
export function localpartOf(userId: string, domain: string): string | undefined {
  const suffix = `:${domain}`;
  if (!userId.startsWith('@') || !userId.endsWith(suffix)) return undefined;
  return userId.slice(1, -suffix.length);
}
