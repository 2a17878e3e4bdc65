import { userId } from '../ids.ts';
import { errorInfo, logger } from '../log.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../matrix/send.ts';
import type { Database } from '../store/db.ts';
import { setGhostDisplayName, type Contact } from '../store/contacts.ts';
import {
  getConversation,
  markRoomReady,
  setConversationRoom,
  type Conversation,
} from '../store/conversations.ts';
import type { Sender } from '../store/senders.ts';
import { getSpace } from '../store/spaces.ts';
import { CHANNEL_NAMES, contactAddressLabel, contactDisplayName, roomLink, senderLabel } from './names.ts';

const log = logger('bridge.portal');

/**
 * The Matrix side of contacts and conversations: ghosts, the space of a tenant, conversation rooms.
 * Each step records in the store that it is done, so the steady state (and a restart) costs no
 * homeserver request: only a new ghost, a new name or a new room does.
 */
export class Portal {
  private readonly db: Database;
  private readonly matrix: MatrixGateway;

  constructor(deps: { db: Database; matrix: MatrixGateway }) {
    this.db = deps.db;
    this.matrix = deps.matrix;
  }

  ghostUserId(contact: Pick<Contact, 'ghostLocalpart'>): string {
    return userId(contact.ghostLocalpart, this.matrix.domain);
  }

  /** Registers the contact's ghost and keeps its display name in step with the profile name. */
  async ensureGhost(contact: Contact): Promise<string> {
    const ghost = this.ghostUserId(contact);
    const name = contactDisplayName(contact);
    if (contact.ghostDisplayName === name) return ghost;
    const intent = this.matrix.intent(ghost);
    if (contact.ghostDisplayName === null) await intent.ensureRegistered();
    await intent.matrixClient.setDisplayName(name);
    await setGhostDisplayName(this.db, contact.id, name);
    contact.ghostDisplayName = name;
    return ghost;
  }

  /**
   * The Matrix space of a tenant, created on first need. The row lock makes concurrent callers
   * (several conversations of one space, several bridge processes) create it once.
   */
  async ensureSpaceRoom(spaceId: string): Promise<string> {
    const known = (await getSpace(this.db, spaceId))?.spaceRoomId;
    if (known) return known;
    return this.db.tx(async (client) => {
      const row = await client.query<{ name: string; space_room_id: string | null }>(
        'SELECT name, space_room_id FROM spaces WHERE id = $1 FOR UPDATE',
        [spaceId],
      );
      const space = row.rows[0];
      if (!space) throw new Error(`space ${spaceId} does not exist`);
      if (space.space_room_id) return space.space_room_id;
      const roomId = await this.matrix.botIntent.matrixClient.createRoom({
        name: space.name,
        topic: `Live chat conversations of ${space.name}`,
        preset: 'private_chat',
        visibility: 'private',
        creation_content: { type: 'm.space' },
        // The creator (the bot) has the highest power: 100, or above every level in room version 12.
        power_level_content_override: { events_default: 100 },
      });
      await client.query('UPDATE spaces SET space_room_id = $2, updated_at = now() WHERE id = $1', [
        spaceId,
        roomId,
      ]);
      log.info({ spaceId, roomId }, 'created the Matrix space of a space');
      return roomId;
    });
  }

  /**
   * The conversation's room, created in the space (bridge state, topic, name, the ghost joined, the
   * bot at power level 100) and linked to the previous conversation's room, if any.
   */
  async ensureRoom(conversation: Conversation, contact: Contact, sender: Sender): Promise<string> {
    if (conversation.roomId && conversation.roomReady) return conversation.roomId;
    const bot = this.matrix.botIntent.matrixClient;
    const ghost = await this.ensureGhost(contact);
    const spaceRoomId = await this.ensureSpaceRoom(conversation.spaceId);
    const via = [this.matrix.domain];
    let roomId = conversation.roomId;
    if (!roomId) {
      const bridgeState = {
        bridgebot: this.matrix.botUserId,
        creator: this.matrix.botUserId,
        protocol: { id: sender.channel, displayname: CHANNEL_NAMES[sender.channel] },
        network: { id: sender.provider, displayname: sender.provider },
        channel: { id: sender.id, displayname: senderLabel(sender) },
      };
      const stateKey = `livechat/${sender.id}/${contact.id}`;
      // A crash between creating the room and storing its ID leaves an empty room behind; the
      // message then goes into the room created by the retry, so nothing is lost or doubled.
      roomId = await bot.createRoom({
        name: contactDisplayName(contact),
        topic: `${CHANNEL_NAMES[sender.channel]} with ${contactAddressLabel(contact)} on ${senderLabel(sender)} (${sender.provider})`,
        preset: 'private_chat',
        visibility: 'private',
        invite: [ghost],
        initial_state: [
          { type: 'm.bridge', state_key: stateKey, content: bridgeState },
          { type: 'uk.half-shot.bridge', state_key: stateKey, content: bridgeState },
          { type: 'm.space.parent', state_key: spaceRoomId, content: { via, canonical: true } },
        ],
      });
      await setConversationRoom(this.db, conversation.id, roomId);
      conversation.roomId = roomId;
      log.info({ conversationId: conversation.id, roomId }, 'created a conversation room');
    }
    await bot.sendStateEvent(spaceRoomId, 'm.space.child', roomId, { via });
    await this.matrix.intent(ghost).matrixClient.joinRoom(roomId);
    await this.linkPrevious(conversation, roomId);
    await markRoomReady(this.db, conversation.id);
    conversation.roomReady = true;
    return roomId;
  }

  /** A new conversation after an archived one: each room points at the other. */
  private async linkPrevious(conversation: Conversation, roomId: string): Promise<void> {
    if (!conversation.previousConversationId) return;
    const previous = await getConversation(this.db, conversation.previousConversationId);
    if (!previous?.roomId) return;
    const bot = this.matrix.botIntent;
    await sendEventOnce(
      bot,
      roomId,
      'm.room.message',
      noticeContent({
        body: `Previous conversation with this customer: ${roomLink(previous.roomId)}`,
        html: `<a href="${roomLink(previous.roomId)}">Previous conversation</a> with this customer.`,
      }),
      `link-previous:${conversation.id}`,
    );
    try {
      await sendEventOnce(
        bot,
        previous.roomId,
        'm.room.message',
        noticeContent({
          body: `The customer wrote again; the conversation continues in ${roomLink(roomId)}`,
          html: `The customer wrote again; the conversation continues in <a href="${roomLink(roomId)}">a new room</a>.`,
        }),
        `link-next:${conversation.id}`,
      );
    } catch (err) {
      // The bot may have left an archived room: the new room's link is the one that matters.
      log.info(
        { roomId: previous.roomId, ...errorInfo(err) },
        'could not point the previous room at the new one',
      );
    }
  }
}
