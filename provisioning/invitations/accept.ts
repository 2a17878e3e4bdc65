import { admitMember, roomsForRole } from '../../bot/spaces/members.ts';
import type { Clock } from '../../bridge/context.ts';
import { errorInfo, logger } from '../../bridge/log.ts';
import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import type { Database, Queryable } from '../../bridge/store/db.ts';
import type { Config } from '../../config/schema.ts';
import { matrixReason } from '../errors.ts';
import { findAgentByUser, insertAgent } from '../store/agents.ts';
import { getInvitationByToken, markAccepted, type InvitationRow } from '../store/invitations.ts';
import { getSpace, type SpaceRow } from '../store/spaces.ts';
import {
  AccountError,
  isMatrixId,
  joinRoom,
  localpartCandidates,
  logout,
  passwordLogin,
  registerAccount,
  type Session,
} from './homeserver.ts';

const log = logger('provisioning.invitations.accept');

/** Something the person must be told; `form` errors show the form again with the message. */
export class AcceptError extends Error {
  readonly status: number;
  readonly form: 'create' | 'link' | undefined;

  constructor(status: number, message: string, form?: 'create' | 'link') {
    super(message);
    this.name = 'AcceptError';
    this.status = status;
    this.form = form;
  }
}

export interface AcceptDeps {
  db: Database;
  matrix: MatrixGateway;
  config: Config;
  clock: Clock;
}

export type CreateForm = { action: 'create'; email: string; password: string; confirm: string };
export type LinkForm = { action: 'link'; email: string; userId: string };

export interface Accepted {
  userId: string;
  created: boolean;
  space: SpaceRow;
}

/** Checks what the person typed, before anything is locked or created. */
export function checkForm(deps: AcceptDeps, invitation: InvitationRow, form: CreateForm | LinkForm): void {
  if (form.email.trim().toLowerCase() !== invitation.email.toLowerCase()) {
    throw new AcceptError(400, 'This is not the email address the invitation was sent to.', form.action);
  }
  if (form.action === 'create') {
    if (!deps.config.homeserver.registrationSharedSecret) {
      throw new AcceptError(
        400,
        'New accounts cannot be created here; use an existing Matrix account.',
        'create',
      );
    }
    const min = deps.config.invitations.minPasswordLength;
    if (form.password.length < min) {
      throw new AcceptError(400, `The password must have at least ${min} characters.`, 'create');
    }
    if (form.password.length > 512) throw new AcceptError(400, 'The password is too long.', 'create');
    if (form.password !== form.confirm)
      throw new AcceptError(400, 'The two passwords are not the same.', 'create');
  } else {
    if (!isMatrixId(form.userId.trim())) {
      throw new AcceptError(400, 'A Matrix ID looks like @name:example.com (lower-case name).', 'link');
    }
    if (deps.matrix.isOwnUser(form.userId.trim())) {
      throw new AcceptError(400, 'That Matrix ID belongs to the live chat service itself.', 'link');
    }
  }
}

/** The reason a link cannot be used, or undefined when it can. */
export function closedReason(invitation: InvitationRow): AcceptError | undefined {
  switch (invitation.status) {
    case 'accepted':
      return new AcceptError(410, 'This invitation has already been used.');
    case 'revoked':
      return new AcceptError(410, 'This invitation was withdrawn. Ask whoever invited you for a new one.');
    case 'expired':
      return new AcceptError(
        410,
        `This invitation expired on ${invitation.expiresAt.toUTCString()}. Ask whoever invited you to send it again.`,
      );
    default:
      return undefined;
  }
}

/** A new account for the invitation, or the one made by an earlier attempt with the same password. */
async function accountFor(deps: AcceptDeps, invitation: InvitationRow, password: string): Promise<Session> {
  const { config, matrix } = deps;
  const hs = config.homeserver.url;
  const reserved = (localpart: string) =>
    localpart.startsWith(config.ghosts.prefix) || matrix.isOwnUser(`@${localpart}:${matrix.domain}`);
  for (const localpart of localpartCandidates(invitation.email, reserved)) {
    try {
      return await registerAccount(hs, config.homeserver.registrationSharedSecret!, {
        localpart,
        password,
        displayName: invitation.name,
      });
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      if (err.errcode === 'M_USER_IN_USE') {
        const session = await passwordLogin(hs, localpart, password);
        if (session) return session;
        continue;
      }
      if (err.errcode === 'M_EXCLUSIVE' || err.errcode === 'M_INVALID_USERNAME') continue;
      throw err;
    }
  }
  throw new AcceptError(
    409,
    'No free Matrix ID could be found for this email address; use an existing account.',
    'create',
  );
}

/**
 * Accepts an invitation: the seat becomes an agent row, the invitation is marked accepted, and the
 * person is brought into the space's rooms with the role's power levels, all in one transaction
 * (rows roll back if the homeserver refuses). A new account also joins the rooms itself; an
 * existing Matrix ID is invited and accepts in its client.
 */
export async function acceptInvitation(
  deps: AcceptDeps,
  tokenHash: Buffer,
  form: CreateForm | LinkForm,
): Promise<Accepted> {
  const { db, matrix, clock, config } = deps;
  const peek = await getInvitationByToken(db, tokenHash, clock.now());
  if (!peek) throw new AcceptError(404, 'This invitation link is not valid.');
  const closed = closedReason(peek);
  if (closed) throw closed;
  checkForm(deps, peek, form);

  let session: Session | undefined;
  try {
    return await db.tx(async (tx: Queryable) => {
      // Space first, then invitation: the order every seat-changing transaction locks in.
      const space = await getSpace(tx, peek.spaceId, clock.now(), { lock: true });
      const invitation = await getInvitationByToken(tx, tokenHash, clock.now(), { lock: true });
      if (!space || !invitation) throw new AcceptError(404, 'This invitation link is not valid.');
      const stillClosed = closedReason(invitation);
      if (stillClosed) throw stillClosed;

      let userId: string;
      if (form.action === 'create') {
        session = await accountFor(deps, invitation, form.password);
        userId = session.userId;
      } else {
        userId = form.userId.trim();
      }
      if (await findAgentByUser(tx, space.id, userId)) {
        throw new AcceptError(409, `${userId} already has a seat in ${space.name}.`, form.action);
      }
      const agentId = await insertAgent(tx, {
        spaceId: space.id,
        userId,
        role: invitation.role,
        name: invitation.name,
        email: invitation.email,
      });
      await markAccepted(tx, invitation.id, agentId, userId, clock.now());
      try {
        await admitMember(matrix, space, userId, invitation.role);
        if (session) {
          for (const roomId of roomsForRole(space, invitation.role))
            await joinRoom(config.homeserver.url, session, roomId);
        }
      } catch (err) {
        log.warn(
          { invitationId: invitation.id, userId, ...errorInfo(err) },
          'could not bring an invited person in',
        );
        throw new AcceptError(
          502,
          `The homeserver did not let us add ${userId} to the space (${matrixReason(err)}). Nothing was changed; try again in a moment.`,
          form.action,
        );
      }
      log.info({ invitationId: invitation.id, agentId, created: Boolean(session) }, 'invitation accepted');
      return { userId, created: form.action === 'create', space };
    });
  } finally {
    if (session) {
      const ended = session;
      await logout(config.homeserver.url, ended).catch((err) =>
        log.debug(errorInfo(err), 'could not log out the page session'),
      );
    }
  }
}
