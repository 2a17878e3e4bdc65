import type { Queryable } from '../../bridge/store/db.ts';
import { flowSchema, type Flow } from '../flows/index.ts';
import type { LivechatMessageKey } from '../spaces/messages.ts';

/*
 * Campaigns and their revisions. A campaign's flow and messages are never edited in place: a
 * change adds a revision, and each run stays on the revision it started with.
 */

export type CampaignMessages = Partial<Record<LivechatMessageKey, string>>;

export interface Campaign {
  id: string;
  spaceId: string;
  senderId: string;
  name: string;
  keywords: string[];
  revision: number;
  revisionId: string;
  /** The validated definition of the current revision. */
  flow: Flow;
  messages: CampaignMessages;
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  space_id: string;
  sender_id: string;
  name: string;
  keywords: string[];
  revision: number;
  revision_id: string;
  flow: unknown;
  messages: CampaignMessages;
  is_default: boolean;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT c.*, r.id AS revision_id, r.flow, r.messages, (s.default_campaign_id = c.id) AS is_default
  FROM campaigns c
  JOIN campaign_revisions r ON r.campaign_id = c.id AND r.revision = c.revision
  JOIN spaces s ON s.id = c.space_id`;

const toCampaign = (r: Row): Campaign => ({
  id: r.id,
  spaceId: r.space_id,
  senderId: r.sender_id,
  name: r.name,
  keywords: r.keywords,
  revision: r.revision,
  revisionId: r.revision_id,
  flow: flowSchema.parse(r.flow),
  messages: r.messages,
  isDefault: r.is_default === true,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface NewCampaign {
  spaceId: string;
  senderId: string;
  name: string;
  keywords: string[];
  flow: Flow;
  messages: CampaignMessages;
}

export async function createCampaign(db: Queryable, input: NewCampaign): Promise<string> {
  const result = await db.query<{ id: string }>(
    'INSERT INTO campaigns (space_id, sender_id, name, keywords) VALUES ($1, $2, $3, $4) RETURNING id',
    [input.spaceId, input.senderId, input.name, input.keywords],
  );
  const id = result.rows[0]!.id;
  await db.query(
    'INSERT INTO campaign_revisions (campaign_id, revision, flow, messages) VALUES ($1, 1, $2, $3)',
    [id, JSON.stringify(input.flow), JSON.stringify(input.messages)],
  );
  return id;
}

export interface CampaignChanges {
  name?: string;
  keywords?: string[];
  /** A new flow or new messages make a new revision. */
  flow?: Flow;
  messages?: CampaignMessages;
}

export async function updateCampaign(
  db: Queryable,
  current: Campaign,
  changes: CampaignChanges,
): Promise<void> {
  let revision = current.revision;
  if (changes.flow !== undefined || changes.messages !== undefined) {
    revision++;
    await db.query(
      'INSERT INTO campaign_revisions (campaign_id, revision, flow, messages) VALUES ($1, $2, $3, $4)',
      [
        current.id,
        revision,
        JSON.stringify(changes.flow ?? current.flow),
        JSON.stringify(changes.messages ?? current.messages),
      ],
    );
  }
  await db.query(
    `UPDATE campaigns SET name = $2, keywords = $3, revision = $4, updated_at = now() WHERE id = $1`,
    [current.id, changes.name ?? current.name, changes.keywords ?? current.keywords, revision],
  );
}

/** A campaign of the space (not deleted); with lock, its row stays locked for the transaction. */
export async function getCampaign(
  db: Queryable,
  spaceId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Campaign | undefined> {
  if (options.lock) await db.query('SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE', [id]);
  const result = await db.query<Row>(
    `${SELECT} WHERE c.space_id = $1 AND c.id = $2 AND c.deleted_at IS NULL`,
    [spaceId, id],
  );
  return result.rows[0] && toCampaign(result.rows[0]);
}

export async function listCampaigns(
  db: Queryable,
  spaceId: string,
  options: { senderId?: string } = {},
): Promise<Campaign[]> {
  const values: unknown[] = [spaceId];
  let where = 'c.space_id = $1 AND c.deleted_at IS NULL';
  if (options.senderId) {
    values.push(options.senderId);
    where += ' AND c.sender_id = $2';
  }
  const result = await db.query<Row>(`${SELECT} WHERE ${where} ORDER BY c.created_at, c.id`, values);
  return result.rows.map(toCampaign);
}

/** The live campaigns of a sender with their keywords: what a message is matched against. */
export async function senderKeywords(
  db: Queryable,
  senderId: string,
): Promise<{ id: string; name: string; keywords: string[] }[]> {
  const result = await db.query<{ id: string; name: string; keywords: string[] }>(
    'SELECT id, name, keywords FROM campaigns WHERE sender_id = $1 AND deleted_at IS NULL ORDER BY created_at, id',
    [senderId],
  );
  return result.rows;
}

/** Hides a campaign from new conversations; runs in progress finish on their revision. */
export async function deleteCampaign(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE campaigns SET deleted_at = now(), updated_at = now() WHERE id = $1', [id]);
  await db.query('UPDATE spaces SET default_campaign_id = NULL WHERE default_campaign_id = $1', [id]);
}

export async function setDefaultCampaign(db: Queryable, spaceId: string, id: string | null): Promise<void> {
  await db.query('UPDATE spaces SET default_campaign_id = $2, updated_at = now() WHERE id = $1', [
    spaceId,
    id,
  ]);
}

export interface Revision {
  id: string;
  campaignId: string;
  revision: number;
  flow: Flow;
  messages: CampaignMessages;
}

// Revisions never change: each is parsed once.
const revisions = new Map<string, Revision>();

export async function loadRevision(db: Queryable, id: string): Promise<Revision | undefined> {
  const cached = revisions.get(id);
  if (cached) return cached;
  const result = await db.query<{
    id: string;
    campaign_id: string;
    revision: number;
    flow: unknown;
    messages: CampaignMessages;
  }>('SELECT * FROM campaign_revisions WHERE id = $1', [id]);
  const r = result.rows[0];
  if (!r) return undefined;
  const revision = {
    id: r.id,
    campaignId: r.campaign_id,
    revision: r.revision,
    flow: flowSchema.parse(r.flow),
    messages: r.messages,
  };
  if (revisions.size > 500) revisions.delete(revisions.keys().next().value!);
  revisions.set(id, revision);
  return revision;
}
