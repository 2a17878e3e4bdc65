import type { ClientEvent } from '../bridge/matrix/appservice.ts';
import type { MatrixGateway } from '../bridge/matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../bridge/matrix/send.ts';
import type { Queryable } from '../bridge/store/db.ts';
import { errorInfo, logger } from '../bridge/log.ts';

const log = logger('bot.membership');

/**
 * The bot accepts invitations, so that anyone can open a DM with it, and greets a new DM with how
 * to get help. Invitations into rooms the bridge manages itself arrive as joins it made.
 */
export async function onBotMembership(
  event: ClientEvent,
  deps: { db: Queryable; matrix: MatrixGateway; prefix: string },
): Promise<void> {
  const { matrix, db } = deps;
  if (event.type !== 'm.room.member' || event.state_key !== matrix.botUserId) return;
  const membership = (event.content as { membership?: string }).membership;
  if (membership === 'invite') {
    const isDirect = (event.content as { is_direct?: boolean }).is_direct === true;
    try {
      await matrix.botIntent.join(event.room_id);
    } catch (err) {
      // A room that disappeared or a server that is gone: nothing to retry.
      log.warn(
        { roomId: event.room_id, inviter: event.sender, ...errorInfo(err) },
        'could not accept an invitation',
      );
      return;
    }
    if (isDirect) {
      await db.query('INSERT INTO bot_dm_rooms (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        event.room_id,
        event.sender,
      ]);
      await sendEventOnce(
        matrix.botIntent,
        event.room_id,
        'm.room.message',
        noticeContent(
          `Hello! I am the live chat bot. Send help (or ${deps.prefix}help) to see what I can do for you.`,
        ),
        `greeting:${event.event_id}`,
      );
    }
    log.info({ roomId: event.room_id, inviter: event.sender, isDirect }, 'joined a room on invitation');
  } else if (membership === 'leave' || membership === 'ban') {
    await db.query('DELETE FROM bot_dm_rooms WHERE room_id = $1', [event.room_id]);
  }
}
