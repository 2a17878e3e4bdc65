import { InvitationRefused, type SeatService } from '../../bot/spaces/seats.ts';
import { createInvitationsBody } from '../api/invitations.schemas.ts';
import { validationError } from '../api/route.ts';
import { ApiError } from '../errors.ts';
import { getInvitation } from '../store/invitations.ts';
import { countSeats } from '../store/seats.ts';
import { createInvitations, type InvitationDeps } from './create.ts';

/**
 * Seats and invitations for the bot's commands (`seats`, `invite`): the API's own schema and
 * creation code, so a command is refused exactly when the API would be, with its errcode.
 */
export function createSeatService(deps: InvitationDeps): SeatService {
  return {
    count: (spaceId) => countSeats(deps.db, spaceId, deps.clock.now()),
    async invite(spaceId, requests) {
      const parsed = createInvitationsBody.safeParse({ invitations: requests });
      if (!parsed.success) {
        const error = validationError('body', parsed.error);
        throw new InvitationRefused(error.errcode, error.message.replace(/^invitations\[0\]\./, ''));
      }
      let ids: string[];
      try {
        ids = await createInvitations(deps, spaceId, parsed.data.invitations);
      } catch (err) {
        if (err instanceof ApiError) throw new InvitationRefused(err.errcode, err.message);
        throw err;
      }
      const now = deps.clock.now();
      const rows = await Promise.all(ids.map((id) => getInvitation(deps.db, spaceId, id, now)));
      return {
        invitations: rows.map((r) => ({
          id: r!.id,
          email: r!.email,
          role: r!.role,
          expiresAt: r!.expiresAt,
        })),
        seats: (await countSeats(deps.db, spaceId, now))!,
      };
    },
  };
}
