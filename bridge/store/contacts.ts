import { randomUUID } from 'node:crypto';
import type { Address, AddressKind, Channel } from '../addresses.ts';
import { ghostLocalpart } from '../ids.ts';
import type { Queryable } from './db.ts';

export interface Contact {
  id: string;
  spaceId: string;
  channel: Channel;
  address: string;
  addressKind: AddressKind;
  profileName: string | null;
  ghostLocalpart: string;
  /** The display name last set on the ghost; null until the ghost is registered. */
  ghostDisplayName: string | null;
}

interface ContactRow {
  id: string;
  space_id: string;
  channel: Channel;
  address: string;
  address_kind: AddressKind;
  profile_name: string | null;
  ghost_localpart: string;
  ghost_display_name: string | null;
}

const toContact = (row: ContactRow): Contact => ({
  id: row.id,
  spaceId: row.space_id,
  channel: row.channel,
  address: row.address,
  addressKind: row.address_kind,
  profileName: row.profile_name,
  ghostLocalpart: row.ghost_localpart,
  ghostDisplayName: row.ghost_display_name,
});

/**
 * The contact for (space, channel, address), created on first contact. A profile name the channel
 * reports replaces the stored one; a message without one keeps it.
 */
export async function upsertContact(
  db: Queryable,
  input: { spaceId: string; channel: Channel; address: Address; profileName?: string; ghostPrefix: string },
): Promise<Contact> {
  // A known contact whose profile name is unchanged costs one read instead of a write.
  const profileName = input.profileName?.trim() || null;
  const known = await db.query<ContactRow>(
    'SELECT * FROM contacts WHERE space_id = $1 AND channel = $2 AND address = $3',
    [input.spaceId, input.channel, input.address.address],
  );
  const row = known.rows[0];
  if (row && (profileName === null || profileName === row.profile_name)) return toContact(row);
  const id = randomUUID();
  const result = await db.query<ContactRow>(
    `INSERT INTO contacts (id, space_id, channel, address, address_kind, profile_name, ghost_localpart)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (space_id, channel, address) DO UPDATE
       SET profile_name = COALESCE(EXCLUDED.profile_name, contacts.profile_name),
           updated_at = CASE WHEN EXCLUDED.profile_name IS DISTINCT FROM contacts.profile_name
                             AND EXCLUDED.profile_name IS NOT NULL THEN now() ELSE contacts.updated_at END
     RETURNING *`,
    [
      id,
      input.spaceId,
      input.channel,
      input.address.address,
      input.address.kind,
      profileName,
      ghostLocalpart(input.ghostPrefix, id),
    ],
  );
  return toContact(result.rows[0]!);
}

export async function getContact(db: Queryable, id: string): Promise<Contact | undefined> {
  const result = await db.query<ContactRow>('SELECT * FROM contacts WHERE id = $1', [id]);
  return result.rows[0] ? toContact(result.rows[0]) : undefined;
}

export async function setGhostDisplayName(db: Queryable, contactId: string, name: string): Promise<void> {
  await db.query('UPDATE contacts SET ghost_display_name = $2 WHERE id = $1', [contactId, name]);
}
