import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import { contactDisplayName } from '../../bridge/portal/names.ts';
import { getContact } from '../../bridge/store/contacts.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { logger, errorInfo } from '../../bridge/log.ts';
import { loadConversation } from '../lifecycle/conversation.ts';
import { conversationRoomName } from '../lifecycle/room-name.ts';
import { agentName, getAgent } from '../routing/agents.ts';
import { pendingOffers } from '../routing/offers.ts';
import { alreadyDone, matrixErrcode } from '../spaces/matrix-errors.ts';
import { membershipOf } from '../spaces/members.ts';

const log = logger('bot.effects.room');

/*
 * A conversation room follows its conversation's state: the name shows the state at a glance, the
 * join rule opens the room to the space's members once resolved (restricted to the space), and
 * while assigned only the assigned agent and admins stay. Each function reads the current state
 * and converges on it, so running one late or twice does no harm.
 */

export async function stateContent(
  matrix: MatrixGateway,
  roomId: string,
  type: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return (await matrix.botIntent.matrixClient.getRoomStateEventContent(roomId, type, '')) as Record<
      string,
      unknown
    >;
  } catch (err) {
    if (matrixErrcode(err) === 'M_NOT_FOUND') return undefined;
    throw err;
  }
}

export async function syncRoom(db: Queryable, matrix: MatrixGateway, conversationId: string): Promise<void> {
  const conversation = await loadConversation(db, conversationId);
  if (!conversation?.roomId) return;
  const roomId = conversation.roomId;
  const client = matrix.botIntent.matrixClient;
  const contact = await getContact(db, conversation.contactId);
  const agent = conversation.assignedAgentId ? await getAgent(db, conversation.assignedAgentId) : undefined;
  const name = conversationRoomName(
    contact ? contactDisplayName(contact) : 'Customer',
    conversation.state,
    agent ? agentName(agent) : null,
  );
  await alreadyDone(async () => {
    if ((await stateContent(matrix, roomId, 'm.room.name'))?.name !== name) {
      await client.sendStateEvent(roomId, 'm.room.name', '', { name });
    }
  });

  const space = await db.query<{ space_room_id: string | null }>(
    'SELECT space_room_id FROM spaces WHERE id = $1',
    [conversation.spaceId],
  );
  const spaceRoomId = space.rows[0]?.space_room_id;
  const open = conversation.state === 'resolved' && spaceRoomId;
  const wanted = open
    ? { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: spaceRoomId }] }
    : { join_rule: 'invite' };
  await alreadyDone(async () => {
    const current = await stateContent(matrix, roomId, 'm.room.join_rules');
    if (JSON.stringify(current ?? { join_rule: 'invite' }) === JSON.stringify(wanted)) return;
    try {
      await client.sendStateEvent(roomId, 'm.room.join_rules', '', wanted);
    } catch (err) {
      // Rooms older than version 8 know no restricted rule: they stay invite-only.
      if (open && matrixErrcode(err) !== undefined && matrixErrcode(err) !== 'M_FORBIDDEN') {
        log.warn({ roomId, ...errorInfo(err) }, 'could not open the room to the space');
        return;
      }
      throw err;
    }
  });
}

/** Takes back an invitation or removes someone, unless they are (again) the one assigned. */
export async function withdrawMember(
  db: Queryable,
  matrix: MatrixGateway,
  conversationId: string,
  userId: string,
  reason: string,
): Promise<void> {
  const conversation = await loadConversation(db, conversationId);
  if (!conversation?.roomId) return;
  if (conversation.state === 'assigned' && conversation.assignedAgentId) {
    const agent = await getAgent(db, conversation.assignedAgentId);
    if (agent?.userId === userId) return;
  }
  const offers = await pendingOffers(db, { conversationId });
  if (offers.some((o) => o.userId === userId)) return;
  const roomId = conversation.roomId;
  const membership = await membershipOf(matrix, roomId, userId);
  if (membership !== 'join' && membership !== 'invite' && membership !== 'knock') return;
  await alreadyDone(() => matrix.botIntent.matrixClient.kickUser(userId, roomId, reason));
}

/** While assigned: removes everyone but the bot, the customer, the agent, admins and pending offers. */
export async function syncMembers(
  db: Queryable,
  matrix: MatrixGateway,
  conversationId: string,
  reason: string,
): Promise<void> {
  const conversation = await loadConversation(db, conversationId);
  if (!conversation?.roomId || conversation.state !== 'assigned') return;
  const roomId = conversation.roomId;
  const allowed = new Set<string>();
  const agent = conversation.assignedAgentId ? await getAgent(db, conversation.assignedAgentId) : undefined;
  if (agent) allowed.add(agent.userId);
  const admins = await db.query<{ user_id: string }>(
    `SELECT user_id FROM agents WHERE space_id = $1 AND role = 'admin'`,
    [conversation.spaceId],
  );
  for (const a of admins.rows) allowed.add(a.user_id);
  for (const offer of await pendingOffers(db, { conversationId })) allowed.add(offer.userId);
  const client = matrix.botIntent.matrixClient;
  let members: { membershipFor: string }[] = [];
  await alreadyDone(async () => {
    members = await client.getRoomMembers(roomId, undefined, ['join', 'invite']);
  });
  for (const member of members) {
    const userId = member.membershipFor;
    if (matrix.isOwnUser(userId) || allowed.has(userId)) continue;
    await alreadyDone(() => client.kickUser(userId, roomId, reason));
  }
}
