import type { z } from 'zod';
import { logger } from '../../bridge/log.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { errors } from '../errors.ts';
import { createInvitations, requireEmail as requireEmailConfigured } from '../invitations/create.ts';
import { deriveKey, newToken, seal } from '../invitations/tokens.ts';
import {
  emailsTaken,
  getInvitation,
  listInvitations,
  queueInvitationEmail,
  renewInvitation,
  revokeInvitation,
  type InvitationRow,
} from '../store/invitations.ts';
import { countSeats } from '../store/seats.ts';
import { BODY_ERRORS, COMMON_ERRORS, notFound, spaceParams } from './common.ts';
import type { ApiDeps } from './deps.ts';
import {
  createdInvitationsSchema,
  createInvitationsBody,
  invitationListQuery,
  invitationListSchema,
  invitationParams,
  invitationSchema,
} from './invitations.schemas.ts';
import { defineRoute, type AnyRoute, type ErrorCase } from './route.ts';
import { requireSpace } from './spaces.ts';

const log = logger('provisioning.invitations');

export function invitationView(row: InvitationRow): z.input<typeof invitationSchema> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: row.id,
    spaceId: row.spaceId,
    email: row.email,
    name: row.name,
    phone: row.phone,
    role: row.role,
    status: row.status,
    expiresAt: row.expiresAt.toISOString(),
    emailStatus: row.emailStatus,
    emailError: row.emailError,
    emailSentAt: iso(row.emailSentAt),
    userId: row.acceptedUserId,
    agentId: row.agentId,
    acceptedAt: iso(row.acceptedAt),
    revokedAt: iso(row.revokedAt),
    createdAt: row.createdAt.toISOString(),
  };
}

const NO_SEATS: ErrorCase = {
  status: 409,
  errcode: 'LC_NO_SEATS',
  description: 'Not enough free seats; gives {requested, available}. Nothing was created.',
};
const ALREADY_INVITED: ErrorCase = {
  status: 409,
  errcode: 'LC_ALREADY_INVITED',
  description:
    'An email already has a seat or an open invitation in this space; gives {emails}. Nothing was created.',
};
const CLOSED: ErrorCase = {
  status: 409,
  errcode: 'LC_INVITATION_CLOSED',
  description: 'The invitation was already accepted or revoked.',
};
const NO_EMAIL: ErrorCase = {
  status: 503,
  errcode: 'LC_EMAIL_UNAVAILABLE',
  description: 'No smtp section in the configuration: invitations cannot be sent.',
};
const INVITATION_NOT_FOUND = notFound('The space or the invitation');

export function invitationRoutes(deps: ApiDeps): AnyRoute[] {
  const { db, clock, config } = deps;
  const key = deriveKey(config.provisioning.token, 'invitation-token');
  const expiry = () => new Date(clock.now().getTime() + config.invitations.ttlHours * 3600_000);

  const issueLink = async (tx: Queryable, invitationId: string) => {
    const token = newToken();
    await queueInvitationEmail(tx, invitationId, token.hash, seal(token.token, key));
    return token.hash;
  };

  const requireInvitation = async (tx: Queryable, spaceId: string, id: string, lock = false) => {
    const invitation = await getInvitation(tx, spaceId, id, clock.now(), { lock });
    if (!invitation) throw errors.notFound(`Invitation ${id}`);
    return invitation;
  };

  const requireEmail = () => requireEmailConfigured(config);

  return [
    defineRoute({
      method: 'post',
      path: '/spaces/{id}/invitations',
      operationId: 'createInvitations',
      tag: 'invitations',
      summary: 'Invite agents and admins by email',
      description:
        'All or nothing: every entry is validated first, and if they do not all fit in the available seats none is created (409 LC_NO_SEATS). Each invitation reserves a seat until it is accepted, revoked or expires. The emails leave after the rows are committed and are retried on failure (emailStatus).',
      params: spaceParams,
      body: createInvitationsBody,
      status: 201,
      response: createdInvitationsSchema,
      responseDescription: 'The invitations (pending) and the seat counter after them.',
      errors: [...COMMON_ERRORS, ...BODY_ERRORS, notFound('The space'), ALREADY_INVITED, NO_SEATS, NO_EMAIL],
      async handler({ params, body }) {
        const ids = await createInvitations(deps, params.id, body.invitations);
        const now = clock.now();
        const rows = await Promise.all(ids.map((id) => getInvitation(db, params.id, id, now)));
        return {
          invitations: rows.map((r) => invitationView(r!)),
          seats: (await countSeats(db, params.id, now))!,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/invitations',
      operationId: 'listInvitations',
      tag: 'invitations',
      summary: "List a space's invitations",
      params: spaceParams,
      query: invitationListQuery,
      status: 200,
      response: invitationListSchema,
      responseDescription: 'The invitations, oldest first.',
      errors: [...COMMON_ERRORS, notFound('The space')],
      async handler({ params, query }) {
        await requireSpace(deps, db, params.id);
        return {
          invitations: (await listInvitations(db, params.id, clock.now(), query.status)).map(invitationView),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/invitations/{invitationId}',
      operationId: 'getInvitation',
      tag: 'invitations',
      summary: 'Get an invitation',
      params: invitationParams,
      status: 200,
      response: invitationSchema,
      responseDescription: 'The invitation, with the state of its email.',
      errors: [...COMMON_ERRORS, INVITATION_NOT_FOUND],
      async handler({ params }) {
        return invitationView(await requireInvitation(db, params.id, params.invitationId));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/spaces/{id}/invitations/{invitationId}/revoke',
      operationId: 'revokeInvitation',
      tag: 'invitations',
      summary: 'Revoke an invitation',
      description:
        'Frees its seat; the link then shows that the invitation was withdrawn. Revoking twice is harmless.',
      params: invitationParams,
      status: 200,
      response: invitationSchema,
      responseDescription: 'The revoked invitation.',
      errors: [...COMMON_ERRORS, INVITATION_NOT_FOUND, CLOSED],
      async handler({ params }) {
        await db.tx(async (tx) => {
          await requireSpace(deps, tx, params.id, true);
          const invitation = await requireInvitation(tx, params.id, params.invitationId, true);
          if (invitation.status === 'accepted') {
            throw errors.conflict(
              'LC_INVITATION_CLOSED',
              'The invitation was already accepted: remove the agent (DELETE /spaces/{id}/agents/{agentId}) instead',
            );
          }
          if (invitation.status !== 'revoked') await revokeInvitation(tx, invitation.id, clock.now());
        });
        log.info({ invitationId: params.invitationId }, 'invitation revoked');
        return invitationView(await requireInvitation(db, params.id, params.invitationId));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/spaces/{id}/invitations/{invitationId}/resend',
      operationId: 'resendInvitation',
      tag: 'invitations',
      summary: 'Send an invitation again with a new link',
      description:
        'A new link with a new expiry is emailed; the previous link stops working. An expired invitation needs a free seat again.',
      params: invitationParams,
      status: 200,
      response: invitationSchema,
      responseDescription: 'The invitation with its new expiry (emailStatus queued).',
      errors: [...COMMON_ERRORS, INVITATION_NOT_FOUND, CLOSED, NO_SEATS, ALREADY_INVITED, NO_EMAIL],
      async handler({ params }) {
        requireEmail();
        await db.tx(async (tx) => {
          const space = await requireSpace(deps, tx, params.id, true);
          const invitation = await requireInvitation(tx, params.id, params.invitationId, true);
          if (invitation.status === 'accepted' || invitation.status === 'revoked') {
            throw errors.conflict(
              'LC_INVITATION_CLOSED',
              `The invitation was ${invitation.status}; it cannot be sent again`,
            );
          }
          if (invitation.status === 'expired') {
            const email = invitation.email.toLowerCase();
            if ((await emailsTaken(tx, space.id, [email], clock.now())).size) {
              throw errors.conflict('LC_ALREADY_INVITED', `Already in this space: ${email}`, {
                emails: [email],
              });
            }
            if (space.seats.available < 1) {
              throw errors.conflict(
                'LC_NO_SEATS',
                'The invitation expired and no seat is available any more',
                {
                  requested: 1,
                  available: space.seats.available,
                },
              );
            }
          }
          await tx.query(
            `UPDATE invitation_emails SET state = 'done', token_sealed = NULL, handled_at = now(),
               last_error = 'replaced by a new link' WHERE invitation_id = $1 AND state = 'pending'`,
            [invitation.id],
          );
          await renewInvitation(tx, invitation.id, await issueLink(tx, invitation.id), expiry());
        });
        deps.wakeEmails();
        log.info({ invitationId: params.invitationId }, 'invitation resent');
        return invitationView(await requireInvitation(db, params.id, params.invitationId));
      },
    }),
  ];
}
