import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { getContact, type Contact } from '../../bridge/store/contacts.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { enqueueEffects } from '../effects/types.ts';
import { listJourney, recordJourney, type JourneyRecord } from '../journey/store.ts';
import {
  deleteAttribute,
  getAttributes,
  setAttribute,
  type Attribute,
  type AttributeType,
} from './attributes.ts';
import { insertNote, listNotes, MAX_NOTE_LENGTH, type Note } from './notes.ts';
import {
  contactTags,
  deleteContactTag,
  insertContactTag,
  isAutomaticTag,
  isSpaceTag,
  spaceTags,
  TagError,
  tagName,
  type ContactTag,
  type TagSource,
} from './tags.ts';
import { checkKey, checkValue, impliedType } from './values.ts';

/*
 * Changes to a contact's profile, the same for agents' commands, the API and the bot: each one is
 * checked, stored, recorded in the journey with its actor, and followed by the contact card of the
 * contact's open rooms (an effect, so it is durable and ordered with the room's other updates).
 * Everything runs in the caller's transaction.
 */

export interface ProfileChange {
  /** A Matrix ID, 'api', 'bot' or 'customer'. */
  actor: string;
  at: Date;
  /** The conversation the change was made from, if any. */
  conversationId: string | null;
}

/** A change that cannot be made, in words for the person who asked. */
export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** Tag names agents typed that the space does not have; `known` lists those it has. */
export class UnknownTagError extends TagError {
  readonly known: string[];

  constructor(name: string, known: string[]) {
    super(
      `There is no tag "${name}" in this space. Tags: ${known.length ? known.join(', ') : '(none yet)'}.`,
    );
    this.name = 'UnknownTagError';
    this.known = known;
  }
}

/** The contact cards of the contact's open rooms follow the profile (see card.ts). */
export async function refreshContactCards(tx: Queryable, contactId: string): Promise<void> {
  const open = await tx.query<{ id: string }>(
    `SELECT id FROM conversations WHERE contact_id = $1 AND archived_at IS NULL AND room_id IS NOT NULL`,
    [contactId],
  );
  for (const { id } of open.rows) await enqueueEffects(tx, id, [{ type: 'contact' }]);
}

function contactCountry(contact: Contact): string | undefined {
  if (contact.addressKind !== 'e164') return undefined;
  return parsePhoneNumberFromString(contact.address)?.country;
}

/** The type values of `key` are checked against (see values.ts). */
export async function attributeType(tx: Queryable, contact: Contact, key: string): Promise<AttributeType> {
  const known = await tx.query<{ type: AttributeType }>(
    `SELECT a.type FROM contact_attributes a JOIN contacts c ON c.id = a.contact_id
     WHERE c.space_id = $1 AND a.key = $2 AND a.type <> 'text'
     ORDER BY (a.contact_id = $3) DESC, a.set_at DESC LIMIT 1`,
    [contact.spaceId, key, contact.id],
  );
  return known.rows[0]?.type ?? impliedType(key);
}

export interface AttributeOutcome {
  key: string;
  value: string | null;
  previous: string | null;
  changed: boolean;
}

/**
 * Sets an attribute (raw null removes it). Throws AttributeError with what was expected; checks
 * everything before writing, so a caller setting several checks them all first with checkAttribute.
 */
export async function checkAttribute(
  tx: Queryable,
  contact: Contact,
  key: string,
  raw: string | null,
): Promise<{ key: string; value: string | null; type: AttributeType }> {
  checkKey(key);
  const type = await attributeType(tx, contact, key);
  if (raw === null) return { key, value: null, type };
  const country = contactCountry(contact);
  return { key, value: checkValue(key, type, raw, country ? { defaultCountry: country } : {}), type };
}

export async function applyAttribute(
  tx: Queryable,
  contact: Contact,
  checked: { key: string; value: string | null; type: AttributeType },
  change: ProfileChange,
): Promise<AttributeOutcome> {
  const current = (await getAttributes(tx, contact.id))[checked.key];
  const previous = current?.value ?? null;
  const base = { key: checked.key, value: checked.value, previous };
  if (checked.value === previous && (checked.value === null || current?.type === checked.type)) {
    return { ...base, changed: false };
  }
  if (checked.value === null) {
    await deleteAttribute(tx, contact.id, checked.key);
    await recordJourney(tx, {
      contactId: contact.id,
      conversationId: change.conversationId,
      type: 'attribute-removed',
      actor: change.actor,
      detail: { name: checked.key, previous },
      at: change.at,
    });
  } else {
    await setAttribute(tx, contact.id, checked.key, {
      value: checked.value,
      type: checked.type,
      setBy: change.actor,
      setAt: change.at,
    });
    await recordJourney(tx, {
      contactId: contact.id,
      conversationId: change.conversationId,
      type: 'attribute-set',
      actor: change.actor,
      detail: {
        name: checked.key,
        value: checked.value,
        type: checked.type,
        ...(previous !== null ? { previous } : {}),
      },
      at: change.at,
    });
  }
  await refreshContactCards(tx, contact.id);
  return { ...base, changed: true };
}

/**
 * The name of a tag an agent or the API may put on a contact: one of the space's (automatic
 * names are the bot's own). Throws TagError / UnknownTagError.
 */
export async function checkTag(tx: Queryable, spaceId: string, raw: string): Promise<string> {
  const name = tagName(raw);
  if (isAutomaticTag(name)) throw new TagError(`"${name}" is set automatically by the bot`);
  if (!(await isSpaceTag(tx, spaceId, name))) {
    throw new UnknownTagError(
      name,
      (await spaceTags(tx, spaceId)).map((t) => t.name),
    );
  }
  return name;
}

/** Tags the contact (a name already checked); false when it had the tag. */
export async function addTag(
  tx: Queryable,
  contact: Contact,
  name: string,
  source: TagSource,
  change: ProfileChange,
): Promise<boolean> {
  const added = await insertContactTag(tx, contact.id, { name, source, by: change.actor, at: change.at });
  if (!added) return false;
  await recordJourney(tx, {
    contactId: contact.id,
    conversationId: change.conversationId,
    type: 'tag',
    actor: change.actor,
    detail: { tag: name, source },
    at: change.at,
  });
  await refreshContactCards(tx, contact.id);
  return true;
}

/** Takes a tag off (any the contact has, automatic ones too); false when it did not have it. */
export async function removeTag(
  tx: Queryable,
  contact: Contact,
  raw: string,
  change: ProfileChange,
): Promise<boolean> {
  const name = tagName(raw);
  const removed = await deleteContactTag(tx, contact.id, name);
  if (!removed) return false;
  await recordJourney(tx, {
    contactId: contact.id,
    conversationId: change.conversationId,
    type: 'untag',
    actor: change.actor,
    detail: { tag: name },
    at: change.at,
  });
  await refreshContactCards(tx, contact.id);
  return true;
}

/** Stores an internal note once per cause; returns its id. */
export async function addNote(
  tx: Queryable,
  contact: Contact,
  text: string,
  change: ProfileChange & { cause: string },
): Promise<string> {
  const body = text.trim();
  if (!body) throw new ProfileError('The note is empty');
  if (body.length > MAX_NOTE_LENGTH) {
    throw new ProfileError(`A note has at most ${MAX_NOTE_LENGTH} characters (this one has ${body.length})`);
  }
  const note = await insertNote(tx, {
    contactId: contact.id,
    conversationId: change.conversationId,
    author: change.actor,
    text: body,
    at: change.at,
    cause: change.cause,
  });
  if (note.created) {
    await recordJourney(tx, {
      contactId: contact.id,
      conversationId: change.conversationId,
      type: 'note',
      actor: change.actor,
      detail: { note: note.id, excerpt: body.length > 80 ? `${body.slice(0, 79)}…` : body },
      at: change.at,
    });
    await refreshContactCards(tx, contact.id);
  }
  return note.id;
}

export interface ContactProfile {
  contact: Contact;
  attributes: Record<string, Attribute>;
  tags: ContactTag[];
  notes: Note[];
  /** Oldest first, the latest `journeyLimit`. */
  journey: JourneyRecord[];
}

export async function contactProfile(
  db: Queryable,
  contactId: string,
  options: { journeyLimit?: number } = {},
): Promise<ContactProfile | undefined> {
  const contact = await getContact(db, contactId);
  if (!contact) return undefined;
  return {
    contact,
    attributes: await getAttributes(db, contactId),
    tags: await contactTags(db, contactId),
    notes: await listNotes(db, contactId),
    journey: await listJourney(db, contactId, { limit: options.journeyLimit ?? 500 }),
  };
}
