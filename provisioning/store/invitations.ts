import type { Queryable } from '../../bridge/store/db.ts';

export type InvitationRole = 'agent' | 'admin';
/** 'expired' is computed: pending past expires_at. */
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';
export type EmailStatus = 'queued' | 'sent' | 'retrying' | 'failed';

export interface InvitationRow {
  id: string;
  spaceId: string;
  email: string;
  name: string;
  phone: string | null;
  role: InvitationRole;
  status: InvitationStatus;
  expiresAt: Date;
  emailStatus: EmailStatus;
  emailError: string | null;
  emailAttempts: number;
  emailSentAt: Date | null;
  agentId: string | null;
  acceptedUserId: string | null;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface Raw {
  id: string;
  space_id: string;
  email: string;
  name: string;
  phone: string | null;
  role: InvitationRole;
  status: 'pending' | 'accepted' | 'revoked';
  expires_at: Date;
  email_status: EmailStatus;
  email_error: string | null;
  email_attempts: number;
  email_sent_at: Date | null;
  agent_id: string | null;
  accepted_user_id: string | null;
  accepted_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toRow(r: Raw, now: Date): InvitationRow {
  return {
    id: r.id,
    spaceId: r.space_id,
    email: r.email,
    name: r.name,
    phone: r.phone,
    role: r.role,
    status: r.status === 'pending' && r.expires_at <= now ? 'expired' : r.status,
    expiresAt: r.expires_at,
    emailStatus: r.email_status,
    emailError: r.email_error,
    emailAttempts: r.email_attempts,
    emailSentAt: r.email_sent_at,
    agentId: r.agent_id,
    acceptedUserId: r.accepted_user_id,
    acceptedAt: r.accepted_at,
    revokedAt: r.revoked_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

// $2 is the current time; every variant mentions it so that its type is known.
const STATUS_SQL: Record<InvitationStatus, string> = {
  pending: `status = 'pending' AND expires_at > $2`,
  expired: `status = 'pending' AND expires_at <= $2`,
  accepted: `status = 'accepted' AND $2::timestamptz IS NOT NULL`,
  revoked: `status = 'revoked' AND $2::timestamptz IS NOT NULL`,
};

export async function listInvitations(
  db: Queryable,
  spaceId: string,
  now: Date,
  status?: InvitationStatus,
): Promise<InvitationRow[]> {
  const condition = status ? STATUS_SQL[status] : '$2::timestamptz IS NOT NULL';
  const result = await db.query<Raw>(
    `SELECT * FROM invitations WHERE space_id = $1 AND ${condition} ORDER BY created_at, id`,
    [spaceId, now],
  );
  return result.rows.map((r) => toRow(r, now));
}

export async function getInvitation(
  db: Queryable,
  spaceId: string,
  id: string,
  now: Date,
  options: { lock?: boolean } = {},
): Promise<InvitationRow | undefined> {
  const result = await db.query<Raw>(
    `SELECT * FROM invitations WHERE space_id = $1 AND id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [spaceId, id],
  );
  return result.rows[0] && toRow(result.rows[0], now);
}

export async function getInvitationByToken(
  db: Queryable,
  tokenHash: Buffer,
  now: Date,
  options: { lock?: boolean } = {},
): Promise<InvitationRow | undefined> {
  const result = await db.query<Raw>(
    `SELECT * FROM invitations WHERE token_hash = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [tokenHash],
  );
  return result.rows[0] && toRow(result.rows[0], now);
}

/** Emails (lower case) with an open invitation or a seat in the space, among the given ones. */
export async function emailsTaken(
  db: Queryable,
  spaceId: string,
  emails: string[],
  now: Date,
): Promise<Map<string, 'pending' | 'active'>> {
  const result = await db.query<{ email: string; kind: 'pending' | 'active' }>(
    `SELECT lower(email) AS email, 'active' AS kind FROM agents
       WHERE space_id = $1 AND lower(email) = ANY($2::text[])
     UNION ALL
     SELECT lower(email), 'pending' FROM invitations
       WHERE space_id = $1 AND lower(email) = ANY($2::text[]) AND status = 'pending' AND expires_at > $3`,
    [spaceId, emails, now],
  );
  const taken = new Map<string, 'pending' | 'active'>();
  for (const row of result.rows) if (taken.get(row.email) !== 'active') taken.set(row.email, row.kind);
  return taken;
}

export interface NewInvitation {
  spaceId: string;
  email: string;
  name: string;
  phone: string | null;
  role: InvitationRole;
  tokenHash: Buffer;
  expiresAt: Date;
}

export async function insertInvitation(db: Queryable, invitation: NewInvitation): Promise<string> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO invitations (space_id, email, name, phone, role, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      invitation.spaceId,
      invitation.email,
      invitation.name,
      invitation.phone,
      invitation.role,
      invitation.tokenHash,
      invitation.expiresAt,
    ],
  );
  return result.rows[0]!.id;
}

/** Queues the email of an invitation; the token is kept sealed until it is sent. */
export async function queueInvitationEmail(
  db: Queryable,
  invitationId: string,
  tokenHash: Buffer,
  sealedToken: string,
): Promise<void> {
  await db.query(
    'INSERT INTO invitation_emails (invitation_id, token_hash, token_sealed) VALUES ($1, $2, $3)',
    [invitationId, tokenHash, sealedToken],
  );
}

/** A new link: new token and expiry, the old link dead, the email queued again. */
export async function renewInvitation(
  db: Queryable,
  id: string,
  tokenHash: Buffer,
  expiresAt: Date,
): Promise<void> {
  await db.query(
    `UPDATE invitations SET token_hash = $2, expires_at = $3, email_status = 'queued', email_error = NULL,
       email_attempts = 0, email_sent_at = NULL, updated_at = now() WHERE id = $1`,
    [id, tokenHash, expiresAt],
  );
}

export async function revokeInvitation(db: Queryable, id: string, now: Date): Promise<void> {
  await db.query(
    `UPDATE invitations SET status = 'revoked', revoked_at = $2, updated_at = now() WHERE id = $1`,
    [id, now],
  );
  await db.query(
    `UPDATE invitation_emails SET state = 'done', token_sealed = NULL, handled_at = now(),
       last_error = 'revoked before it was sent' WHERE invitation_id = $1 AND state = 'pending'`,
    [id],
  );
}

export async function markAccepted(
  db: Queryable,
  id: string,
  agentId: string,
  userId: string,
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE invitations SET status = 'accepted', agent_id = $2, accepted_user_id = $3, accepted_at = $4,
       updated_at = now() WHERE id = $1`,
    [id, agentId, userId, now],
  );
}
