import type { Queryable } from '../../bridge/store/db.ts';
import type { Channel } from '../../bridge/addresses.ts';

export type SenderMode = 'chatbot' | 'livechat';

/** A sender as the API shows it: never its credentials. */
export interface SenderRow {
  id: string;
  spaceId: string;
  channel: Channel;
  address: string;
  addressKind: 'e164' | 'shortcode';
  provider: string;
  mode: SenderMode;
  createdAt: Date;
  updatedAt: Date;
}

interface Raw {
  id: string;
  space_id: string;
  channel: Channel;
  address: string;
  address_kind: 'e164' | 'shortcode';
  provider: string;
  mode: SenderMode;
  created_at: Date;
  updated_at: Date;
}

// Credentials are never selected here: the API has no way to leak what it never reads.
const COLUMNS = 'id, space_id, channel, address, address_kind, provider, mode, created_at, updated_at';

function toRow(r: Raw): SenderRow {
  return {
    id: r.id,
    spaceId: r.space_id,
    channel: r.channel,
    address: r.address,
    addressKind: r.address_kind,
    provider: r.provider,
    mode: r.mode,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listSenders(db: Queryable, spaceId: string): Promise<SenderRow[]> {
  const result = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM senders WHERE space_id = $1 ORDER BY created_at, id`,
    [spaceId],
  );
  return result.rows.map(toRow);
}

export async function getSender(
  db: Queryable,
  spaceId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<SenderRow | undefined> {
  const result = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM senders WHERE space_id = $1 AND id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [spaceId, id],
  );
  return result.rows[0] && toRow(result.rows[0]);
}

/** Senders with this number on any channel (the same number belongs to one space only). */
export async function sendersWithAddress(
  db: Queryable,
  address: string,
): Promise<{ id: string; spaceId: string; channel: Channel }[]> {
  const result = await db.query<{ id: string; space_id: string; channel: Channel }>(
    'SELECT id, space_id, channel FROM senders WHERE address = $1',
    [address],
  );
  return result.rows.map((r) => ({ id: r.id, spaceId: r.space_id, channel: r.channel }));
}

export interface NewSender {
  spaceId: string;
  channel: Channel;
  address: string;
  addressKind: 'e164' | 'shortcode';
  provider: string;
  mode: SenderMode;
  credentials: Record<string, unknown>;
}

export async function insertSender(db: Queryable, sender: NewSender): Promise<string> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO senders (space_id, channel, address, address_kind, provider, mode, credentials)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      sender.spaceId,
      sender.channel,
      sender.address,
      sender.addressKind,
      sender.provider,
      sender.mode,
      JSON.stringify(sender.credentials),
    ],
  );
  return result.rows[0]!.id;
}

export async function updateSender(
  db: Queryable,
  id: string,
  changes: { mode?: SenderMode; credentials?: Record<string, unknown> },
): Promise<void> {
  await db.query(
    `UPDATE senders SET mode = COALESCE($2, mode), credentials = COALESCE($3::jsonb, credentials),
       updated_at = now() WHERE id = $1`,
    [id, changes.mode ?? null, changes.credentials ? JSON.stringify(changes.credentials) : null],
  );
}

export async function deleteSender(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM senders WHERE id = $1', [id]);
}
