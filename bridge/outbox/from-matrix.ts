import type { ClientEvent } from '../matrix/appservice.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../matrix/send.ts';
import { findConversationByRoom } from '../store/conversations.ts';
import type { Database } from '../store/db.ts';
import {
  cancelOutbound,
  createMediaLink,
  enqueueOutbound,
  findOutboundByEvent,
  type OutboxContent,
} from '../store/outbox.ts';
import { plainText } from './plain-text.ts';

const MEDIA_TYPES = new Set(['m.image', 'm.file', 'm.audio', 'm.video']);

interface Relation {
  rel_type?: string;
  event_id?: string;
  'm.in_reply_to'?: { event_id?: string };
}

export interface FromMatrixDeps {
  db: Database;
  matrix: MatrixGateway;
  commandPrefix: string;
  /** A row was queued. */
  wake(): void;
}

/**
 * Agents' messages in conversation rooms become outbox rows, unique by event ID, so a replayed
 * transaction or a retried handler never queues twice. Internal messages never leave Matrix:
 * notices, thread messages, commands. What the network cannot carry (edits, deletions after
 * sending, other message types) gets a notice, not silence.
 */
export function createOutboundHandler(deps: FromMatrixDeps): (event: ClientEvent) => Promise<void> {
  const { db, matrix } = deps;

  const notice = (event: ClientEvent, text: string, cause: string) =>
    sendEventOnce(
      matrix.botIntent,
      event.room_id,
      'm.room.message',
      { ...noticeContent(text), 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } },
      `${cause}:${event.event_id}`,
    );

  async function onRedaction(event: ClientEvent): Promise<void> {
    const redacts =
      (event as unknown as { redacts?: string }).redacts ?? (event.content.redacts as string | undefined);
    if (!redacts) return;
    const row = await findOutboundByEvent(db, redacts);
    if (!row || row.event_id !== redacts) return;
    if (row.state === 'failed') return;
    const text = (await cancelOutbound(db, redacts))
      ? 'Deleted before it was sent: the customer will not receive it.'
      : 'This message was already sent: the customer keeps it, because SMS and WhatsApp messages cannot be deleted from their phone.';
    await notice(event, text, 'redaction-notice');
  }

  return async (event) => {
    if (matrix.isOwnUser(event.sender)) return;
    if (event.type !== 'm.room.message' && event.type !== 'm.room.redaction') return;
    const conversation = await findConversationByRoom(db, event.room_id);
    if (!conversation) return;
    if (event.type === 'm.room.redaction') return onRedaction(event);

    const content = event.content;
    const relation = content['m.relates_to'] as Relation | undefined;
    const msgtype = content.msgtype as string | undefined;
    if (relation?.rel_type === 'm.thread' || msgtype === 'm.notice') return;
    if (relation?.rel_type === 'm.replace') {
      await notice(
        event,
        'Edits are not sent: the customer already has the first version. Send a new message to correct it.',
        'edit-notice',
      );
      return;
    }
    const text = plainText(content);
    if (text.startsWith(deps.commandPrefix)) return;

    let outbound: OutboxContent;
    if (msgtype === 'm.text') {
      outbound = { text };
    } else if (msgtype === 'm.emote') {
      outbound = { text: `* ${text}` };
    } else if (msgtype && MEDIA_TYPES.has(msgtype) && typeof content.url === 'string') {
      const info = (content.info ?? {}) as { mimetype?: string; size?: number };
      const filename = typeof content.filename === 'string' ? content.filename : (content.body as string);
      // Matrix captions: a body that differs from the file name is a caption.
      const caption =
        typeof content.filename === 'string' && content.body !== content.filename ? text : undefined;
      outbound = {
        media: {
          mxc: content.url,
          mimeType: info.mimetype ?? 'application/octet-stream',
          ...(filename ? { filename } : {}),
          ...(info.size !== undefined ? { size: info.size } : {}),
          token: '',
        },
        ...(caption ? { text: caption } : {}),
      };
    } else {
      const kind =
        msgtype && MEDIA_TYPES.has(msgtype) ? 'Encrypted files' : `Messages of type ${msgtype ?? 'unknown'}`;
      await notice(event, `Not sent: ${kind} cannot be carried to the customer.`, 'unsupported-notice');
      return;
    }

    const created = await db.tx(async (client) => {
      if (outbound.media) {
        const { token: _unset, ...media } = outbound.media;
        outbound.media = await createMediaLink(client, media);
      }
      return (
        await enqueueOutbound(client, {
          conversationId: conversation.id,
          roomId: event.room_id,
          eventId: event.event_id,
          author: event.sender,
          content: outbound,
        })
      ).created;
    });
    if (created) deps.wake();
  };
}
