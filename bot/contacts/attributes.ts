import type { Queryable } from '../../bridge/store/db.ts';

/*
 * Contact attributes: what is known about a contact, by key. Flows collect them (questions), agents
 * and imports will set them too; each value remembers its type, who set it and when.
 */

export const ATTRIBUTE_TYPES = ['text', 'number', 'email', 'phone', 'date', 'boolean'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export interface Attribute {
  value: string;
  type: AttributeType;
  /** 'bot', 'customer', or the Matrix ID of the agent who set it. */
  setBy: string;
  setAt: Date;
}

export async function setAttribute(
  db: Queryable,
  contactId: string,
  key: string,
  attribute: Attribute,
): Promise<void> {
  await db.query(
    `INSERT INTO contact_attributes (contact_id, key, value, type, set_by, set_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (contact_id, key) DO UPDATE
       SET value = EXCLUDED.value, type = EXCLUDED.type, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
    [contactId, key, attribute.value, attribute.type, attribute.setBy, attribute.setAt],
  );
}

export async function deleteAttribute(db: Queryable, contactId: string, key: string): Promise<boolean> {
  const result = await db.query('DELETE FROM contact_attributes WHERE contact_id = $1 AND key = $2', [
    contactId,
    key,
  ]);
  return (result.rowCount ?? 0) > 0;
}

/** Every attribute of a contact, by key. */
export async function getAttributes(db: Queryable, contactId: string): Promise<Record<string, Attribute>> {
  const result = await db.query<{
    key: string;
    value: string;
    type: AttributeType;
    set_by: string;
    set_at: Date;
  }>('SELECT key, value, type, set_by, set_at FROM contact_attributes WHERE contact_id = $1 ORDER BY key', [
    contactId,
  ]);
  const out: Record<string, Attribute> = {};
  for (const r of result.rows)
    out[r.key] = { value: r.value, type: r.type, setBy: r.set_by, setAt: r.set_at };
  return out;
}

/** Just the values, as flows read them (branches, {{placeholders}}). */
export async function attributeValues(db: Queryable, contactId: string): Promise<Record<string, string>> {
  const all = await getAttributes(db, contactId);
  return Object.fromEntries(Object.entries(all).map(([key, a]) => [key, a.value]));
}
