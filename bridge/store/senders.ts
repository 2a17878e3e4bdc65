import type { Address, Channel } from '../addresses.ts';
import type { SenderInfo } from '../providers/types.ts';
import type { Queryable } from './db.ts';

/** A sender as the core needs it: what providers get (SenderInfo) plus which provider it uses. */
export interface Sender extends SenderInfo {
  provider: string;
}

interface SenderRow {
  id: string;
  space_id: string;
  channel: Channel;
  address: string;
  address_kind: SenderInfo['addressKind'];
  provider: string;
  credentials: Record<string, unknown>;
}

const toSender = (row: SenderRow): Sender => ({
  id: row.id,
  spaceId: row.space_id,
  channel: row.channel,
  address: row.address,
  addressKind: row.address_kind,
  provider: row.provider,
  credentials: row.credentials,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewSender {
  spaceId: string;
  channel: Channel;
  address: Address;
  provider: string;
  credentials: Record<string, unknown>;
}

/** The address must be normalized already (normalizeAddress); credentials validated by the provider. */
export async function createSender(db: Queryable, input: NewSender): Promise<Sender> {
  if (input.address.kind === 'wa-user-id') throw new Error('a sender address must be a phone number');
  const result = await db.query<SenderRow>(
    `INSERT INTO senders (space_id, channel, address, address_kind, provider, credentials)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [
      input.spaceId,
      input.channel,
      input.address.address,
      input.address.kind,
      input.provider,
      JSON.stringify(input.credentials),
    ],
  );
  return toSender(result.rows[0]!);
}

/** undefined for an unknown id, or one that is not a UUID at all (a webhook path typed by hand). */
export async function getSender(db: Queryable, id: string): Promise<Sender | undefined> {
  if (!UUID.test(id)) return undefined;
  const result = await db.query<SenderRow>('SELECT * FROM senders WHERE id = $1', [id]);
  return result.rows[0] ? toSender(result.rows[0]) : undefined;
}

export async function findSenderByAddress(
  db: Queryable,
  channel: Channel,
  address: string,
): Promise<Sender | undefined> {
  const result = await db.query<SenderRow>('SELECT * FROM senders WHERE channel = $1 AND address = $2', [
    channel,
    address,
  ]);
  return result.rows[0] ? toSender(result.rows[0]) : undefined;
}
