import type { z } from 'zod';
import type { Address, AddressKind, Channel } from '../addresses.ts';

/*
 * The one interface every provider implements (one folder each under bridge/providers/). The core
 * (inbox, outbox, rooms) talks only to this: it never knows which carrier a sender uses. Adding a
 * provider means a new folder and a line in the registry, nothing else.
 */

/** What a provider needs to know about the business number it acts for. */
export interface SenderInfo {
  id: string;
  spaceId: string;
  channel: Channel;
  /** Normalized: E.164 or short-code digits. */
  address: string;
  addressKind: Exclude<AddressKind, 'wa-user-id'>;
  /** Validated by the provider's credentialsSchema when the sender was created. Secret. */
  credentials: Record<string, unknown>;
}

export interface Capabilities {
  /** Images, audio, video and documents, both ways. */
  media: boolean;
  /** WhatsApp reply buttons and lists; without it, menus are sent as numbered text. */
  interactive: boolean;
  /** Pre-approved message templates (WhatsApp), the only way to write outside the window. */
  templates: boolean;
  /** The provider reports when the customer read a message. */
  readReceipts: boolean;
  /** The customer is told when the business read their message (WhatsApp blue ticks). */
  markRead: boolean;
  /** Longest text one send may carry (longer texts are split by the core). */
  maxTextLength: number;
  /** Free-form messages only within this many hours of the customer's last message (WhatsApp: 24). */
  customerCareWindowHours?: number;
  /** SMS is billed per segment: the core counts and splits by GSM-7/UCS-2 segments. */
  segmented: boolean;
}

/** An HTTP request to a webhook, as received: the raw bytes, for signatures computed over them. */
export interface WebhookRequest {
  method: string;
  /**
   * The URL the provider was configured to call (publicUrl + path + query), which is what
   * signatures cover, whatever proxies changed on the way.
   */
  url: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string>;
  rawBody: Buffer;
}

export interface WebhookResponse {
  status: number;
  contentType?: string;
  body: string;
}

export interface InboundMedia {
  /** Opaque to the core: a URL (Twilio) or a media id (Meta); given back to fetchMedia. */
  ref: string;
  mimeType?: string;
  filename?: string;
  caption?: string;
}

export interface InboundMessage {
  kind: 'message';
  /** Unique per provider (Twilio MessageSid, Meta wamid): the inbox deduplicates on it. */
  providerMessageId: string;
  from: Address & { profileName?: string };
  /** The business address the message was sent to, as the provider wrote it. */
  to: string;
  timestamp: Date;
  text?: string;
  media?: InboundMedia[];
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  /** A tapped reply button or list row (WhatsApp interactive, Twilio ButtonPayload). */
  reply?: { id: string; title: string };
  /** The provider id of the message this one answers (WhatsApp context), when given. */
  inReplyTo?: string;
}

export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'undelivered' | 'failed';

/** Forward-only order; `undelivered` and `failed` are final and outrank nothing but each other. */
export const STATUS_RANK: Record<DeliveryStatus, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  undelivered: 4,
  failed: 4,
};

export interface StatusUpdate {
  kind: 'status';
  providerMessageId: string;
  status: DeliveryStatus;
  timestamp: Date;
  error?: ProviderFailure;
}

export type InboundItem = InboundMessage | StatusUpdate;

export interface OutboundMedia {
  /** A URL the provider can fetch, or bytes to upload (the core decides from capabilities). */
  url?: string;
  data?: Buffer;
  mimeType: string;
  filename?: string;
  caption?: string;
}

export interface OutboundMessage {
  /** The contact's address: E.164, short code, or WhatsApp user id. */
  to: string;
  text?: string;
  media?: OutboundMedia;
  interactive?: {
    body: string;
    /** Buttons (up to 3 on WhatsApp) or a list (more options). */
    style: 'buttons' | 'list';
    /** Text of the button that opens a list. */
    listButton?: string;
    options: { id: string; title: string; description?: string }[];
  };
  template?: { name: string; language: string; parameters: string[] };
  /** Where the provider sends delivery statuses for this message, when it supports per-message URLs. */
  statusCallbackUrl?: string;
  /** Stable for every attempt of one outbox row: providers that take an idempotency key use it. */
  idempotencyKey: string;
}

export interface SendResult {
  providerMessageId: string;
  status?: DeliveryStatus;
  /** SMS segments billed, when the provider says. */
  segments?: number;
}

/** Why a send or a delivery failed, classified so the core knows whether to retry and what to tell agents. */
export type FailureKind =
  | 'opted-out'
  | 'window-closed'
  | 'invalid-recipient'
  | 'unreachable'
  | 'auth'
  | 'throttled'
  | 'unavailable'
  | 'rejected';

export interface ProviderFailure {
  kind: FailureKind;
  /** The provider's own code (21610, 131047, HTTP 503…). */
  code: string;
  /** The provider's message, for logs and the notice. */
  message: string;
  /** True when retrying cannot help. */
  permanent: boolean;
  /** From Retry-After, when the provider said. */
  retryAfterMs?: number;
}

/** Thrown by send(), fetchMedia() and markRead(): a classified failure. */
export class ProviderError extends Error {
  readonly failure: ProviderFailure;

  constructor(failure: ProviderFailure, options?: { cause?: unknown }) {
    super(`${failure.kind} (${failure.code}): ${failure.message}`, options);
    this.name = 'ProviderError';
    this.failure = failure;
  }
}

/** Thrown by parseWebhook() on a body that is not what the provider sends (answered 400). */
export class WebhookFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookFormatError';
  }
}

export interface FetchedMedia {
  data: Buffer;
  mimeType: string;
  filename?: string;
}

export interface Provider {
  /** As stored in senders.provider and used in webhook paths' documentation. */
  readonly name: string;
  /** Channels this provider can carry. */
  readonly channels: readonly Channel[];
  /** Validates and types a sender's credentials (write-only secrets: never returned or logged). */
  readonly credentialsSchema: z.ZodType<Record<string, unknown>>;
  capabilities(sender: SenderInfo): Capabilities;
  /** The path, under publicUrl, to configure at the provider for this sender. */
  webhookPath(sender: SenderInfo): string;
  /** Answers a subscription handshake (Meta's GET hub.challenge); undefined if the provider has none. */
  handshake?(sender: SenderInfo, request: WebhookRequest): WebhookResponse;
  /** Checks the request's signature over its raw bytes, in constant time. */
  verify(sender: SenderInfo, request: WebhookRequest): boolean;
  /** Turns a verified request into messages and statuses (several may come in one request). */
  parse(sender: SenderInfo, request: WebhookRequest): InboundItem[];
  /** What to answer once the items are committed (Twilio: empty TwiML as text/xml). */
  acknowledge(sender: SenderInfo, request: WebhookRequest): WebhookResponse;
  send(sender: SenderInfo, message: OutboundMessage): Promise<SendResult>;
  fetchMedia(sender: SenderInfo, media: InboundMedia): Promise<FetchedMedia>;
  /** Tells the customer their message was read (only where capabilities().markRead). */
  markRead?(sender: SenderInfo, providerMessageId: string): Promise<void>;
}
