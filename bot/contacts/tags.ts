import type { Queryable } from '../../bridge/store/db.ts';

/*
 * Tags on contacts. A space has a vocabulary of tags that admins create (`tags create <name>` in
 * the control room, or POST /spaces/{id}/tags); agents put those on contacts. A name agents type
 * that is not in it is refused with the list, so that a typo never becomes a new tag and reports
 * stay comparable. The bot also tags by itself: `new` on a contact's first message, and
 * `campaign:<name>` when a campaign starts; those need no entry and cannot be created by hand.
 */

export type TagSource = 'automatic' | 'manual' | 'api';

export interface SpaceTag {
  name: string;
  description: string | null;
  createdBy: string;
  createdAt: Date;
  /** Contacts of the space that have it now. */
  contacts: number;
}

export interface ContactTag {
  name: string;
  source: TagSource;
  addedBy: string;
  addedAt: Date;
}

export class TagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TagError';
  }
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
export const NEW_TAG = 'new';

/** The tag a campaign's runs put on the contact: campaign:help-package. */
export function campaignTag(campaignName: string): string {
  const slug = campaignName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `campaign:${slug || 'unnamed'}`;
}

export function isAutomaticTag(name: string): boolean {
  return name === NEW_TAG || name.startsWith('campaign:');
}

/** A name as typed (any case), checked and lower-cased; automatic names are accepted too. */
export function tagName(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (isAutomaticTag(name) && name.length <= 60) return name;
  if (!NAME.test(name)) {
    throw new TagError(
      `"${raw}" is not a tag name: lower-case letters, digits, _ . or -, starting with a letter or digit (at most 40)`,
    );
  }
  return name;
}

/** A name an admin may create: a valid name that is not one of the automatic ones. */
export function newTagName(raw: string): string {
  const name = tagName(raw);
  if (isAutomaticTag(name))
    throw new TagError(`"${name}" is set automatically by the bot; choose another name`);
  return name;
}

export async function spaceTags(db: Queryable, spaceId: string): Promise<SpaceTag[]> {
  const result = await db.query<{
    name: string;
    description: string | null;
    created_by: string;
    created_at: Date;
    contacts: number;
  }>(
    `SELECT t.name, t.description, t.created_by, t.created_at,
       (SELECT count(*) FROM contact_tags ct JOIN contacts c ON c.id = ct.contact_id
         WHERE c.space_id = t.space_id AND ct.name = t.name)::int AS contacts
     FROM space_tags t WHERE t.space_id = $1 ORDER BY t.name`,
    [spaceId],
  );
  return result.rows.map((r) => ({
    name: r.name,
    description: r.description,
    createdBy: r.created_by,
    createdAt: r.created_at,
    contacts: r.contacts,
  }));
}

export async function isSpaceTag(db: Queryable, spaceId: string, name: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM space_tags WHERE space_id = $1 AND name = $2', [
    spaceId,
    name,
  ]);
  return (result.rowCount ?? 0) > 0;
}

/** Adds a tag to the space's vocabulary; false when it was there already. */
export async function createSpaceTag(
  db: Queryable,
  tag: { spaceId: string; name: string; description?: string | null; by: string; at: Date },
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO space_tags (space_id, name, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING`,
    [tag.spaceId, tag.name, tag.description ?? null, tag.by, tag.at],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Removes a tag from the vocabulary and from every contact of the space; returns those contacts. */
export async function deleteSpaceTag(
  db: Queryable,
  spaceId: string,
  name: string,
): Promise<string[] | undefined> {
  const removed = await db.query('DELETE FROM space_tags WHERE space_id = $1 AND name = $2', [spaceId, name]);
  if (!removed.rowCount) return undefined;
  const contacts = await db.query<{ contact_id: string }>(
    `DELETE FROM contact_tags ct USING contacts c
     WHERE c.id = ct.contact_id AND c.space_id = $1 AND ct.name = $2 RETURNING ct.contact_id`,
    [spaceId, name],
  );
  return contacts.rows.map((r) => r.contact_id);
}

export async function contactTags(db: Queryable, contactId: string): Promise<ContactTag[]> {
  const result = await db.query<{ name: string; source: TagSource; added_by: string; added_at: Date }>(
    'SELECT name, source, added_by, added_at FROM contact_tags WHERE contact_id = $1 ORDER BY added_at, name',
    [contactId],
  );
  return result.rows.map((r) => ({
    name: r.name,
    source: r.source,
    addedBy: r.added_by,
    addedAt: r.added_at,
  }));
}

/** False when the contact had it already. */
export async function insertContactTag(
  db: Queryable,
  contactId: string,
  tag: { name: string; source: TagSource; by: string; at: Date },
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO contact_tags (contact_id, name, source, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING`,
    [contactId, tag.name, tag.source, tag.by, tag.at],
  );
  return (result.rowCount ?? 0) > 0;
}

/** False when the contact did not have it. */
export async function deleteContactTag(db: Queryable, contactId: string, name: string): Promise<boolean> {
  const result = await db.query('DELETE FROM contact_tags WHERE contact_id = $1 AND name = $2', [
    contactId,
    name,
  ]);
  return (result.rowCount ?? 0) > 0;
}
