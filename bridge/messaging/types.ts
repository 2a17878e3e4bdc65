import type { InboundMessage, OutboundMessage } from '../providers/types.ts';
import type { SmsKeyword } from '../inbox/keywords.ts';
import type { Contact } from '../store/contacts.ts';
import type { Conversation } from '../store/conversations.ts';
import type { Sender } from '../store/senders.ts';

/** A customer's message, after the ghost posted it in the conversation room. */
export interface InboundEvent {
  inboxId: string;
  message: InboundMessage;
  sender: Sender;
  contact: Contact;
  conversation: Conversation;
  roomId: string;
  /** The events the ghost posted: the text first, then each media. */
  eventIds: string[];
  /** The first message of this conversation (its room was just created). */
  firstInConversation: boolean;
  /**
   * Set when the message was an SMS keyword (STOP, START, HELP…). The bridge already changed the
   * opt-out state and answered the customer; flows should not answer it again.
   */
  smsKeyword?: SmsKeyword;
}

/**
 * Called for each inbound message in the conversation's order, after the ghost posted it. A handler
 * that throws makes the message retry later (the ghost does not post it again): handlers must be
 * idempotent, e.g. by deriving what they send from `inboxId`.
 */
export type InboundHandler = (event: InboundEvent) => Promise<void>;

/** What the bot sends a customer. Media is Matrix content (an mxc URI), like an agent's. */
export interface CustomerMessage {
  text?: string;
  media?: { mxc: string; mimeType: string; filename?: string; size?: number };
  interactive?: OutboundMessage['interactive'];
  template?: OutboundMessage['template'];
}

export interface SendToCustomerOptions {
  /** Unique reason for this message ("welcome:<conversation>", "template:<event>"): sent once. */
  cause: string;
  /** Who sends it, shown in logs (a Matrix user ID; the bot's by default). */
  author?: string;
  /** Only for the one confirmation an opt-out allows. */
  bypassOptOut?: boolean;
}
