import type { Queryable } from '../../bridge/store/db.ts';

/** Internal notes about a contact, written by agents (`note <text>`): never sent to the customer. */

export interface Note {
  id: string;
  conversationId: string | null;
  author: string;
  text: string;
  createdAt: Date;
}

export const MAX_NOTE_LENGTH = 4000;

/** Stores a note once per cause; returns its id (the existing one for a repeated cause). */
export async function insertNote(
  db: Queryable,
  note: {
    contactId: string;
    conversationId: string | null;
    author: string;
    text: string;
    at: Date;
    cause: string;
  },
): Promise<{ id: string; created: boolean }> {
  const inserted = await db.query<{ id: string }>(
    `INSERT INTO contact_notes (contact_id, conversation_id, author, text, created_at, cause)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (cause) DO NOTHING RETURNING id`,
    [note.contactId, note.conversationId, note.author, note.text, note.at, note.cause],
  );
  if (inserted.rows[0]) return { id: inserted.rows[0].id, created: true };
  const existing = await db.query<{ id: string }>('SELECT id FROM contact_notes WHERE cause = $1', [
    note.cause,
  ]);
  return { id: existing.rows[0]!.id, created: false };
}

/** A contact's notes, newest first. */
export async function listNotes(db: Queryable, contactId: string, limit = 200): Promise<Note[]> {
  const result = await db.query<{
    id: string;
    conversation_id: string | null;
    author: string;
    text: string;
    created_at: Date;
  }>(
    `SELECT id, conversation_id, author, text, created_at FROM contact_notes WHERE contact_id = $1
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [contactId, limit],
  );
  return result.rows.map((r) => ({
    id: r.id,
    conversationId: r.conversation_id,
    author: r.author,
    text: r.text,
    createdAt: r.created_at,
  }));
}

export async function countNotes(db: Queryable, contactId: string): Promise<number> {
  const result = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM contact_notes WHERE contact_id = $1',
    [contactId],
  );
  return result.rows[0]!.n;
}
