import type { Queryable } from '../../bridge/store/db.ts';
import { seatsOfUser, agentByUser, type SpaceAgent } from '../routing/agents.ts';
import type { Router } from '../routing/router.ts';
import { CommandError, defineCommand, type CommandContext } from './command.ts';

/*
 * `online` / `offline`: agents say when they take conversations (explicit, not Matrix presence,
 * which is unreliable across bridges and servers). In a room of a space it applies to that space;
 * in a DM with the bot, to every space the agent has a seat in. Going offline passes the offers
 * waiting for them on; conversations already assigned stay with them.
 */

async function seatsHere(db: Queryable, context: CommandContext): Promise<SpaceAgent[]> {
  const seats = context.room.spaceId
    ? [await agentByUser(db, context.room.spaceId, context.sender)].filter((s): s is SpaceAgent => !!s)
    : await seatsOfUser(db, context.sender);
  if (seats.length === 0) throw new CommandError('You have no seat in this space.');
  return seats;
}

async function spaceNames(db: Queryable, seats: SpaceAgent[]): Promise<Map<string, string>> {
  const result = await db.query<{ id: string; name: string }>(
    'SELECT id, name FROM spaces WHERE id = ANY($1::uuid[])',
    [seats.map((s) => s.spaceId)],
  );
  return new Map(result.rows.map((r) => [r.id, r.name]));
}

async function setOnline(db: Queryable, seat: SpaceAgent, online: boolean, now: Date): Promise<void> {
  await db.query(
    'UPDATE agents SET online = $2, online_changed_at = $3, updated_at = now() WHERE id = $1 AND online <> $2',
    [seat.id, online, now],
  );
}

export function availabilityCommands(deps: { db: Queryable; router: Router; now(): Date }) {
  const { db, router } = deps;
  const online = defineCommand({
    name: 'online',
    summary: 'take conversations: they will be offered to you',
    details:
      'In a room of a space: that space. In a DM with me: every space you have a seat in. You get at most your limit of conversations at a time.',
    args: [],
    role: 'agent',
    rooms: ['dm', 'control', 'conversation'],
    run: async (context) => {
      const seats = await seatsHere(db, context);
      const names = await spaceNames(db, seats);
      for (const seat of seats) await setOnline(db, seat, true, deps.now());
      for (const seat of seats) await router.routeSpace(seat.spaceId);
      const where = seats.map((s) => `${names.get(s.spaceId)} (up to ${s.maxChats} at a time)`).join(', ');
      return `You are online in ${where}. Conversations will be offered to you.`;
    },
  });
  const offline = defineCommand({
    name: 'offline',
    summary: 'stop taking new conversations (yours stay with you)',
    details:
      'Offers waiting for your answer go to other agents. Conversations assigned to you stay yours: resolve them, or give them back with unassign.',
    args: [],
    role: 'agent',
    rooms: ['dm', 'control', 'conversation'],
    run: async (context) => {
      const seats = await seatsHere(db, context);
      const names = await spaceNames(db, seats);
      for (const seat of seats) await setOnline(db, seat, false, deps.now());
      for (const seat of seats) await router.agentOffline(seat);
      const open = seats.reduce((n, s) => n + s.open, 0);
      const kept = open > 0 ? ` Your ${open} open conversation(s) stay with you.` : '';
      return `You are offline in ${seats.map((s) => names.get(s.spaceId)).join(', ')}: no new conversations will be offered to you.${kept}`;
    },
  });
  return [online, offline];
}
