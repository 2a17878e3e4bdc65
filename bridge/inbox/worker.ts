import type { Config } from '../../config/schema.ts';
import { errorInfo, logger } from '../log.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../matrix/send.ts';
import type { Portal } from '../portal/portal.ts';
import type { ProviderRegistry } from '../providers/index.ts';
import { ProviderError, type InboundMessage, type Provider } from '../providers/types.ts';
import { PermanentError } from '../queue/errors.ts';
import { OrderedQueue } from '../queue/ordered-queue.ts';
import { upsertContact } from '../store/contacts.ts';
import { getConversation, openConversation, touchInbound } from '../store/conversations.ts';
import type { Database } from '../store/db.ts';
import {
  recordPosted,
  recordPostedMessage,
  recordUpload,
  reviveMessage,
  type InboxRow,
  type KeywordEffect,
  type UploadedMedia,
} from '../store/inbox.ts';
import { findByProviderId, mapMessage } from '../store/message-map.ts';
import { setOptOut } from '../store/opt-outs.ts';
import { getSender, type Sender } from '../store/senders.ts';
import type { InboundEvent, InboundHandler } from '../messaging/types.ts';
import { locationContent, mediaContent, replyContent, textContent } from './content.ts';
import { smsKeyword } from './keywords.ts';
import { reportKeyword, type SendToCustomer } from './opt-out.ts';

const log = logger('bridge.inbox');

export interface InboxDeps {
  config: Config;
  db: Database;
  matrix: MatrixGateway;
  providers: ProviderRegistry;
  portal: Portal;
  handlers: readonly InboundHandler[];
  sendToCustomer: SendToCustomer;
  /** A message was posted in its room (metrics). */
  onPosted(channel: string): void;
  onFailed(): void;
  /** A row will be retried after this error (the homeserver may be down). */
  onRetry?(error: unknown): void;
}

/** Media the homeserver refuses (too large, bad type) will not become acceptable by retrying. */
function isPermanentUploadError(err: unknown): boolean {
  const e = err as { statusCode?: number; body?: { errcode?: string } };
  return e.statusCode === 413 || e.body?.errcode === 'M_TOO_LARGE';
}

/**
 * Turns inbox rows into Matrix messages: contact and ghost, conversation and room, then the ghost
 * posts with transaction IDs derived from the row, so a retry never posts twice.
 */
export function createInboxWorker(deps: InboxDeps): OrderedQueue<InboxRow> {
  const { db, matrix, providers, portal } = deps;

  async function post(
    row: InboxRow,
    message: InboundMessage,
    sender: Sender,
    provider: Provider,
    ghost: string,
    roomId: string,
  ): Promise<string[]> {
    const intent = matrix.intent(ghost);
    const contents: Record<string, unknown>[] = [];
    if (message.text?.trim()) contents.push(textContent(message.text));
    for (const [index, media] of (message.media ?? []).entries()) {
      let uploaded: UploadedMedia | undefined = row.uploaded[String(index)];
      if (!uploaded) {
        try {
          const fetched = await provider.fetchMedia(sender, media);
          const mxc = await intent.uploadContent(fetched.data, {
            type: fetched.mimeType,
            ...(fetched.filename ? { name: fetched.filename } : {}),
          });
          uploaded = {
            mxc,
            mimeType: fetched.mimeType,
            size: fetched.data.length,
            ...((fetched.filename ?? media.filename) ? { filename: fetched.filename ?? media.filename } : {}),
          };
          await recordUpload(db, row.id, index, uploaded);
        } catch (err) {
          const permanent =
            (err instanceof ProviderError && err.failure.permanent) || isPermanentUploadError(err);
          if (!permanent) throw err;
          // The rest of the message still goes through; agents learn what is missing.
          log.warn({ inboxId: row.id, index, ...errorInfo(err) }, 'inbound media could not be bridged');
          contents.push(
            noticeContent(
              `The customer sent ${media.mimeType ?? 'a file'} that could not be shown here: ${err instanceof Error ? err.message : String(err)}`,
            ),
          );
          continue;
        }
      }
      contents.push(mediaContent(uploaded, media.caption));
    }
    if (message.location) contents.push(locationContent(message.location));
    if (message.reply) contents.push(replyContent(message.reply));
    if (contents.length === 0)
      contents.push(noticeContent('The customer sent a message this bridge cannot show.'));

    if (message.inReplyTo) {
      const quoted = await findByProviderId(db, row.provider, message.inReplyTo);
      if (quoted?.roomId === roomId)
        contents[0]!['m.relates_to'] = { 'm.in_reply_to': { event_id: quoted.eventId } };
    }
    const eventIds: string[] = [];
    for (const [i, content] of contents.entries()) {
      // Notices about missing media come from the bot: they are not the customer's words.
      const asBot = content.msgtype === 'm.notice';
      eventIds.push(
        await sendEventOnce(
          asBot ? matrix.botIntent : intent,
          roomId,
          'm.room.message',
          content,
          `inbox:${row.id}:${i}`,
        ),
      );
    }
    return eventIds;
  }

  async function handle(row: InboxRow): Promise<void> {
    const sender = await getSender(db, row.sender_id);
    if (!sender) throw new PermanentError(`sender ${row.sender_id} no longer exists`);
    const provider = providers.get(sender.provider);
    const message = reviveMessage(row.message);
    const contact = await upsertContact(db, {
      spaceId: sender.spaceId,
      channel: sender.channel,
      address: message.from,
      ghostPrefix: deps.config.ghosts.prefix,
      ...(message.from.profileName ? { profileName: message.from.profileName } : {}),
    });
    // Once posted, a message stays with its conversation even if that was archived meanwhile.
    const posted = row.conversation_id ? await getConversation(db, row.conversation_id) : undefined;
    const conversation =
      posted ??
      (await openConversation(db, { spaceId: sender.spaceId, senderId: sender.id, contactId: contact.id }))
        .conversation;
    const ghost = await portal.ensureGhost(contact);
    const roomId = await portal.ensureRoom(conversation, contact, sender);

    const keyword = sender.channel === 'sms' ? smsKeyword(message.text) : undefined;
    let eventIds = row.event_ids;
    let effect = row.keyword_effect;
    if (!eventIds) {
      eventIds = await post(row, message, sender, provider, ghost, roomId);
      const newEvents = eventIds;
      if (!keyword) {
        await recordPostedMessage(db, {
          inboxId: row.id,
          conversationId: conversation.id,
          eventIds: newEvents,
          provider: row.provider,
          providerMessageId: row.provider_message_id,
          roomId,
          at: message.timestamp,
        });
        effect = null;
      } else
        effect = await db.tx(async (client) => {
          let decided: KeywordEffect | null = null;
          if (keyword === 'help') decided = 'help';
          else if (keyword) {
            const changed = await setOptOut(
              client,
              sender.id,
              contact.id,
              keyword === 'stop',
              message.text!.trim(),
            );
            decided = changed ? (keyword === 'stop' ? 'opted-out' : 'opted-in') : 'none';
          }
          await recordPosted(client, row.id, conversation.id, newEvents, decided);
          await mapMessage(client, {
            provider: row.provider,
            providerMessageId: row.provider_message_id,
            direction: 'in',
            conversationId: conversation.id,
            roomId,
            eventId: newEvents[0]!,
          });
          await touchInbound(client, conversation.id, message.timestamp);
          return decided;
        });
      deps.onPosted(sender.channel);
    }
    if (effect)
      await reportKeyword(deps, {
        effect,
        inboxId: row.id,
        sender,
        contact,
        conversation,
        roomId,
        eventId: eventIds[0]!,
      });

    if (deps.handlers.length > 0) {
      const first = await db.query<{ first: string }>(
        'SELECT min(id) AS first FROM inbox WHERE conversation_id = $1',
        [conversation.id],
      );
      const event: InboundEvent = {
        inboxId: row.id,
        message,
        sender,
        contact,
        conversation,
        roomId,
        eventIds,
        firstInConversation: first.rows[0]?.first === row.id,
        ...(keyword ? { smsKeyword: keyword } : {}),
      };
      for (const handler of deps.handlers) await handler(event);
    }
  }

  return new OrderedQueue<InboxRow>(db, {
    name: 'inbox',
    table: 'inbox',
    keyColumn: 'conversation_key',
    // Each row mostly waits for the homeserver: with 8, a hundred busy conversations queued behind
    // eight and reached about half of what Synapse takes (bench/, 100 rooms). More (64) starved the
    // webhooks of database connections: their acknowledgement p99.9 passed a second.
    concurrency: 32,
    leaseSeconds: 15,
    pollMs: 1000,
    // The homeserver being away is the usual failure: keep trying, never faster than every 15 s once
    // it has been down a while, for about a day before telling agents.
    backoff: { baseMs: 250, maxMs: 15_000, maxAttempts: 6000 },
    handle,
    ...(deps.onRetry ? { onRetry: deps.onRetry } : {}),
    onFailed: async (row, err) => {
      // Nothing is dropped: the customer's words go into the room as the bot's notice.
      const conversation = row.conversation_id ? await getConversation(db, row.conversation_id) : undefined;
      const roomId = conversation?.roomId;
      if (!roomId) throw new Error('no room to report the failure in yet');
      const text = reviveMessage(row.message).text ?? '(no text)';
      await sendEventOnce(
        matrix.botIntent,
        roomId,
        'm.room.message',
        noticeContent(
          `A message from the customer could not be bridged (${err instanceof Error ? err.message : String(err)}). It said: ${text}`,
        ),
        `inbox-failed:${row.id}`,
      );
      deps.onFailed();
    },
  });
}
