import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import {
  CHANNEL_NAMES,
  contactAddressLabel,
  contactDisplayName,
  senderLabel,
} from '../../bridge/portal/names.ts';
import { getSender } from '../../bridge/store/senders.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { stateContent } from '../effects/room.ts';
import { loadConversation } from '../lifecycle/conversation.ts';
import { alreadyDone } from '../spaces/matrix-errors.ts';
import { getAttributes } from './attributes.ts';
import { countNotes } from './notes.ts';
import { contactTags } from './tags.ts';
import { getContact } from '../../bridge/store/contacts.ts';

/*
 * The contact card of a conversation room: a custom state event agents' clients (and widgets or
 * bots) can read, and the room topic, which every client shows. Both are rebuilt from the store
 * and sent only when they differ, so the effect converges however often or late it runs.
 */

export const CONTACT_CARD_EVENT = 'io.livechat.contact';
const MAX_TOPIC = 480;

export interface ContactCard {
  contactId: string;
  conversation: number | null;
  name: string | null;
  displayName: string;
  channel: string;
  address: string;
  attributes: Record<string, string>;
  tags: string[];
  notes: number;
}

export async function buildContactCard(db: Queryable, conversationId: string) {
  const conversation = await loadConversation(db, conversationId);
  if (!conversation?.roomId || conversation.state === 'archived') return undefined;
  const contact = await getContact(db, conversation.contactId);
  if (!contact) return undefined;
  const number = await db.query<{ number: number | null }>('SELECT number FROM conversations WHERE id = $1', [
    conversationId,
  ]);
  const attributes = Object.fromEntries(
    Object.entries(await getAttributes(db, contact.id)).map(([key, a]) => [key, a.value]),
  );
  const card: ContactCard = {
    contactId: contact.id,
    conversation: number.rows[0]?.number ?? null,
    name: contact.profileName,
    displayName: contactDisplayName(contact),
    channel: contact.channel,
    address: contact.address,
    attributes,
    tags: (await contactTags(db, contact.id)).map((t) => t.name),
    notes: await countNotes(db, contact.id),
  };
  const sender = await getSender(db, conversation.senderId);
  const parts = [
    `${CHANNEL_NAMES[contact.channel]} with ${contactAddressLabel(contact)}${sender ? ` on ${senderLabel(sender)}` : ''}`,
  ];
  if (card.conversation !== null) parts.push(`#${card.conversation}`);
  if (card.tags.length) parts.push(`tags: ${card.tags.join(', ')}`);
  for (const [key, value] of Object.entries(attributes)) parts.push(`${key}: ${value}`);
  if (card.notes) parts.push(`${card.notes} note${card.notes === 1 ? '' : 's'}`);
  let topic = parts.join(' · ');
  if (topic.length > MAX_TOPIC) topic = `${topic.slice(0, MAX_TOPIC - 1)}…`;
  return { roomId: conversation.roomId, card, topic };
}

/** JSON with keys sorted: the homeserver may return content in another key order than sent. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export async function syncContactCard(
  db: Queryable,
  matrix: MatrixGateway,
  conversationId: string,
): Promise<void> {
  const built = await buildContactCard(db, conversationId);
  if (!built) return;
  const { roomId, card, topic } = built;
  const client = matrix.botIntent.matrixClient;
  await alreadyDone(async () => {
    const current = await stateContent(matrix, roomId, CONTACT_CARD_EVENT);
    if (canonical(current) !== canonical(card)) {
      await client.sendStateEvent(roomId, CONTACT_CARD_EVENT, '', card);
    }
  });
  await alreadyDone(async () => {
    if ((await stateContent(matrix, roomId, 'm.room.topic'))?.topic !== topic) {
      await client.sendStateEvent(roomId, 'm.room.topic', '', { topic });
    }
  });
}
