import { noticeContent, sendEventOnce } from '../matrix/send.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import type { CustomerMessage, SendToCustomerOptions } from '../messaging/types.ts';
import type { Contact } from '../store/contacts.ts';
import type { Conversation } from '../store/conversations.ts';
import type { Database } from '../store/db.ts';
import type { KeywordEffect } from '../store/inbox.ts';
import type { Sender } from '../store/senders.ts';
import { getSpace } from '../store/spaces.ts';
import { keywordReply } from './keywords.ts';
import { contactAddressLabel } from '../portal/names.ts';

export type SendToCustomer = (
  conversationId: string,
  message: CustomerMessage,
  options: SendToCustomerOptions,
) => Promise<unknown>;

/**
 * Tells agents what an SMS keyword changed (a notice in reply to it) and answers the customer: the
 * opt-out's one confirmation, the opt-in's, or the help text. Every step is keyed by the inbox row,
 * so a retry repeats nothing.
 */
export async function reportKeyword(
  deps: { db: Database; matrix: MatrixGateway; sendToCustomer: SendToCustomer },
  k: {
    effect: KeywordEffect;
    inboxId: string;
    sender: Sender;
    contact: Contact;
    conversation: Conversation;
    roomId: string;
    eventId: string;
  },
): Promise<void> {
  if (k.effect === 'none') return;
  const who = contactAddressLabel(k.contact);
  const notice =
    k.effect === 'opted-out'
      ? `${who} opted out of messages from this number. Nothing will be sent to them until they reply START.`
      : k.effect === 'opted-in'
        ? `${who} opted in again: messages to them are delivered again.`
        : undefined;
  if (notice) {
    await sendEventOnce(
      deps.matrix.botIntent,
      k.roomId,
      'm.room.message',
      { ...noticeContent(notice), 'm.relates_to': { 'm.in_reply_to': { event_id: k.eventId } } },
      `keyword-notice:${k.inboxId}`,
    );
  }
  const space = await getSpace(deps.db, k.sender.spaceId);
  const keyword = k.effect === 'opted-out' ? 'stop' : k.effect === 'opted-in' ? 'start' : 'help';
  await deps.sendToCustomer(
    k.conversation.id,
    { text: keywordReply(keyword, space?.name ?? 'We', space?.smsReplies ?? {}) },
    { cause: `sms-keyword:${k.inboxId}`, bypassOptOut: k.effect === 'opted-out' },
  );
}
