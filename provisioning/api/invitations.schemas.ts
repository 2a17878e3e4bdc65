import { z } from 'zod';
import { timestamp, uuid } from './common.ts';
import { seatsSchema } from './spaces.schemas.ts';

export const MAX_BATCH = 100;

const role = z
  .enum(['agent', 'admin'], { error: 'must be agent or admin' })
  .meta({ description: 'agent: answers conversations; admin: also steers the space from its control room.' });

const status = z.enum(['pending', 'accepted', 'revoked', 'expired']).meta({
  description: 'expired: pending past expiresAt (it no longer reserves a seat; resend renews it).',
});

const invitationInput = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(100, { error: 'must be at most 100 characters' }),
  email: z
    .email({ error: 'must be an email address' })
    .max(254, { error: 'must be at most 254 characters' })
    .meta({ description: 'Where the link is sent; the person confirms it on the page.' }),
  phone: z
    .string({ error: 'must be a string' })
    .max(40, { error: 'must be at most 40 characters' })
    .optional()
    .meta({ description: 'For the record; not used to send anything.' }),
  role,
});

export const createInvitationsBody = z.strictObject({
  invitations: z
    .array(invitationInput, { error: 'must be a list' })
    .min(1, { error: 'must list at least one invitation' })
    .max(MAX_BATCH, { error: `must list at most ${MAX_BATCH} invitations` }),
});

export const invitationSchema = z.strictObject({
  id: uuid,
  spaceId: uuid,
  email: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  role,
  status,
  expiresAt: timestamp,
  emailStatus: z.enum(['queued', 'sent', 'retrying', 'failed']).meta({
    description:
      'queued: about to be sent; sent: accepted by the SMTP server; retrying: the last attempt failed (emailError says why) and it will be tried again; failed: given up (resend to try again).',
  }),
  emailError: z.string().nullable(),
  emailSentAt: timestamp.nullable(),
  userId: z.string().nullable().meta({ description: 'Once accepted: the Matrix ID that took the seat.' }),
  agentId: uuid.nullable(),
  acceptedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
  createdAt: timestamp,
});

export const createdInvitationsSchema = z.strictObject({
  invitations: z.array(invitationSchema),
  seats: seatsSchema,
});

export const invitationListSchema = z.strictObject({ invitations: z.array(invitationSchema) });

export const invitationListQuery = z.strictObject({
  status: z
    .enum(['pending', 'accepted', 'revoked', 'expired'], {
      error: 'must be pending, accepted, revoked or expired',
    })
    .optional()
    .meta({ description: 'Only invitations in this status.' }),
});

export const invitationParams = z.strictObject({
  id: uuid.meta({ description: 'The space.' }),
  invitationId: uuid.meta({ description: 'The invitation.' }),
});
