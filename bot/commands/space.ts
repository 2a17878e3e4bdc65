import type { Channel } from '../../bridge/addresses.ts';
import { CHANNEL_NAMES, senderLabel } from '../../bridge/portal/names.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { listCampaigns } from '../campaigns/store.ts';
import { keywordList } from '../spaces/messages.ts';
import { InvitationRefused, type SeatService } from '../spaces/seats.ts';
import { arg } from './args.ts';
import { CommandError, defineCommand } from './command.ts';
import { plural, when } from './format.ts';

/*
 * The space's set-up as admins see it from the control room: seats and invitations (the same
 * rules and email as the provisioning API), senders, campaigns.
 */

export interface SpaceCommandDeps {
  db: Queryable;
  /** Provisioning's invitations; undefined when the bot runs without that layer. */
  seats(): SeatService | undefined;
}

function seatService(deps: SpaceCommandDeps): SeatService {
  const service = deps.seats();
  if (!service) throw new CommandError('Seats and invitations are not available on this bridge.');
  return service;
}

export function spaceCommands(deps: SpaceCommandDeps) {
  const { db } = deps;

  const seats = defineCommand({
    name: 'seats',
    summary: 'the seat counter: limit, used, pending invitations, available',
    args: [],
    role: 'admin',
    rooms: ['control'],
    run: async (context) => {
      const count = await seatService(deps).count(context.room.spaceId!);
      if (!count) throw new CommandError('This space no longer exists.');
      return (
        `Seats: ${count.limit} in total · ${count.used} used · ${count.pending} reserved by pending invitations · ` +
        `${count.available} available.`
      );
    },
  });

  const invite = defineCommand({
    name: 'invite',
    summary: 'invite someone by email as an agent (default) or an admin',
    details:
      'They get the same email as invitations made through the API, with a link to accept (a new Matrix account, or one they have). The invitation reserves a seat; when none is free, nothing is created. The name is how customers will see them (default: the part of the email before @).',
    args: [
      arg.email('email', 'where the invitation link is sent'),
      arg.choice('role', 'agent or admin (default agent)', ['agent', 'admin'] as const).orOmitted(),
      arg.rest('name', 'their name, as customers will see it').orOmitted(),
    ],
    role: 'admin',
    rooms: ['control'],
    run: async (context, email, role, name) => {
      const service = seatService(deps);
      try {
        const created = await service.invite(context.room.spaceId!, [
          { email, role: role ?? 'agent', name: name?.trim() || email.split('@')[0]! },
        ]);
        const invitation = created.invitations[0]!;
        return (
          `Invitation sent to ${invitation.email} as ${invitation.role}: the link works until ${when(invitation.expiresAt)}. ` +
          `Seats available now: ${created.seats.available}.`
        );
      } catch (err) {
        if (err instanceof InvitationRefused) {
          const hint =
            err.errcode === 'LC_NO_SEATS'
              ? ' Free a seat (remove someone, revoke an invitation) or ask for a higher limit.'
              : '';
          throw new CommandError(`Not invited (${err.errcode}): ${err.message}${hint}`);
        }
        throw err;
      }
    },
  });

  const senders = defineCommand({
    name: 'senders',
    summary: "the space's numbers: channel, provider, mode and open conversations",
    args: [],
    role: 'admin',
    rooms: ['control'],
    run: async (context) => {
      const result = await db.query<{
        channel: Channel;
        address: string;
        address_kind: 'e164' | 'shortcode';
        provider: string;
        mode: string;
        open: number;
      }>(
        `SELECT s.channel, s.address, s.address_kind, s.provider, s.mode,
           (SELECT count(*) FROM conversations c WHERE c.sender_id = s.id AND c.archived_at IS NULL)::int AS open
         FROM senders s WHERE s.space_id = $1 ORDER BY s.created_at, s.id`,
        [context.room.spaceId],
      );
      if (result.rows.length === 0) return 'This space has no sender yet (POST /spaces/{id}/senders).';
      return [
        `${plural(result.rows.length, 'sender')}:`,
        ...result.rows.map(
          (s) =>
            `· ${CHANNEL_NAMES[s.channel]} ${senderLabel({ address: s.address, addressKind: s.address_kind })} — ` +
            `${s.provider}, ${s.mode} mode, ${plural(s.open, 'open conversation')}`,
        ),
      ].join('\n');
    },
  });

  const campaigns = defineCommand({
    name: 'campaigns',
    summary: "the space's campaigns: keywords, sender, revision",
    args: [],
    role: 'admin',
    rooms: ['control'],
    run: async (context) => {
      const spaceId = context.room.spaceId!;
      const list = await listCampaigns(db, spaceId);
      if (list.length === 0) return 'This space has no campaign yet (POST /spaces/{id}/campaigns).';
      const senders = await db.query<{
        id: string;
        channel: Channel;
        address: string;
        address_kind: 'e164' | 'shortcode';
      }>('SELECT id, channel, address, address_kind FROM senders WHERE space_id = $1', [spaceId]);
      const label = new Map(
        senders.rows.map((s) => [
          s.id,
          `${CHANNEL_NAMES[s.channel]} ${senderLabel({ address: s.address, addressKind: s.address_kind })}`,
        ]),
      );
      const runs = await db.query<{ campaign_id: string; n: number }>(
        `SELECT f.campaign_id, count(*)::int AS n FROM flow_runs f JOIN campaigns c ON c.id = f.campaign_id
         WHERE c.space_id = $1 GROUP BY f.campaign_id`,
        [spaceId],
      );
      const runCount = new Map(runs.rows.map((r) => [r.campaign_id, r.n]));
      return [
        `${plural(list.length, 'campaign')}:`,
        ...list.map(
          (c) =>
            `· ${c.name}${c.isDefault ? ' (default)' : ''} — on ${label.get(c.senderId) ?? 'a deleted sender'}, ` +
            `keywords ${keywordList(c.keywords)}, revision ${c.revision}, ${plural(runCount.get(c.id) ?? 0, 'run')}`,
        ),
      ].join('\n');
    },
  });

  return [seats, invite, senders, campaigns];
}
