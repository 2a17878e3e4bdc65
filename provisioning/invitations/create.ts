import type { Clock } from '../../bridge/context.ts';
import { logger } from '../../bridge/log.ts';
import type { Database } from '../../bridge/store/db.ts';
import type { Config } from '../../config/schema.ts';
import { ApiError, errors } from '../errors.ts';
import { emailsTaken, insertInvitation, queueInvitationEmail } from '../store/invitations.ts';
import { getSpace } from '../store/spaces.ts';
import { deriveKey, newToken, seal } from './tokens.ts';

const log = logger('provisioning.invitations');

export interface InvitationInput {
  name: string;
  email: string;
  phone?: string | undefined;
  role: 'agent' | 'admin';
}

export interface InvitationDeps {
  db: Database;
  clock: Clock;
  config: Config;
  /** Wakes the email queue once the rows are committed. */
  wakeEmails(): void;
}

export function requireEmail(config: Config): void {
  if (!config.smtp) {
    throw new ApiError(503, 'LC_EMAIL_UNAVAILABLE', 'Invitations are sent by email: configure smtp first');
  }
}

/**
 * Creates invitations, all or nothing: the emails must be new to the space and fit in its free
 * seats, else nothing is created (409 LC_ALREADY_INVITED / LC_NO_SEATS). Each email is queued in
 * the same transaction and leaves once it commits. Used by POST /spaces/{id}/invitations and by
 * the bot's `invite` command, so both follow the same rules and send the same email.
 */
export async function createInvitations(
  deps: InvitationDeps,
  spaceId: string,
  entries: readonly InvitationInput[],
): Promise<string[]> {
  const { db, clock, config } = deps;
  const key = deriveKey(config.provisioning.token, 'invitation-token');
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const email = entry.email.toLowerCase();
    const first = seen.get(email);
    if (first !== undefined) {
      throw errors.badRequest(`invitations[${i}].email: listed twice (also invitations[${first}])`, {
        field: `invitations[${i}].email`,
      });
    }
    seen.set(email, i);
  });
  requireEmail(config);
  const ids = await db.tx(async (tx) => {
    const space = await getSpace(tx, spaceId, clock.now(), { lock: true });
    if (!space) throw errors.notFound(`Space ${spaceId}`);
    const taken = await emailsTaken(tx, space.id, [...seen.keys()], clock.now());
    if (taken.size) {
      const emails = [...taken.keys()];
      const describe = [...taken].map(
        ([email, kind]) => `${email} (${kind === 'active' ? 'has a seat' : 'invited'})`,
      );
      throw errors.conflict('LC_ALREADY_INVITED', `Already in this space: ${describe.join(', ')}`, {
        emails,
      });
    }
    const requested = entries.length;
    const available = space.seats.available;
    if (requested > available) {
      throw errors.conflict(
        'LC_NO_SEATS',
        `${requested} invitation(s) requested but only ${available} seat(s) available (limit ${space.seats.limit}, ` +
          `${space.seats.used} used, ${space.seats.pending} pending). Nothing was created.`,
        { requested, available },
      );
    }
    const expiresAt = new Date(clock.now().getTime() + config.invitations.ttlHours * 3600_000);
    const created: string[] = [];
    for (const entry of entries) {
      const token = newToken();
      const id = await insertInvitation(tx, {
        spaceId: space.id,
        email: entry.email,
        name: entry.name,
        phone: entry.phone ?? null,
        role: entry.role,
        tokenHash: token.hash,
        expiresAt,
      });
      await queueInvitationEmail(tx, id, token.hash, seal(token.token, key));
      created.push(id);
    }
    return created;
  });
  deps.wakeEmails();
  log.info({ spaceId, count: ids.length }, 'invitations created');
  return ids;
}
