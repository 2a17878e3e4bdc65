import twilio from 'twilio';
import { contactAddress, stripAddress } from '../../addresses.ts';
import { logger } from '../../log.ts';
import {
  WebhookFormatError,
  type DeliveryStatus,
  type InboundItem,
  type InboundMedia,
  type InboundMessage,
  type SenderInfo,
  type WebhookRequest,
} from '../types.ts';
import { callbackFailure } from './errors.ts';

/*
 * Twilio webhooks: one URL per sender receives both inbound messages (SmsStatus=received, no
 * MessageStatus) and the status callbacks of what we sent (MessageStatus, ErrorCode). Both are
 * form-encoded and signed with X-Twilio-Signature over the configured URL and every POST
 * parameter, including the ones Twilio adds without notice.
 */

const log = logger('bridge.providers.twilio');

export type TwilioParams = Record<string, string | string[]>;

/** The form body as Twilio signed it: every parameter, repeated keys as arrays. */
export function formParams(rawBody: Buffer): TwilioParams {
  const params: TwilioParams = {};
  for (const [key, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const existing = params[key];
    if (existing === undefined) params[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else params[key] = [existing, value];
  }
  return params;
}

/** Checks X-Twilio-Signature (the twilio package compares in constant time and tries with/without :443/:80). */
export function verifySignature(authToken: string, request: WebhookRequest): boolean {
  const signature = request.headers['x-twilio-signature'];
  if (!signature) return false;
  try {
    return twilio.validateRequest(authToken, signature, request.url, formParams(request.rawBody));
  } catch {
    // A URL the validator cannot parse cannot be the one Twilio signed.
    return false;
  }
}

function one(params: TwilioParams, key: string): string | undefined {
  const value = params[key];
  return Array.isArray(value) ? value[0] : value;
}

function required(params: TwilioParams, key: string, ...fallbacks: string[]): string {
  for (const name of [key, ...fallbacks]) {
    const value = one(params, name);
    if (value) return value;
  }
  throw new WebhookFormatError(`${key}: missing`);
}

function number(params: TwilioParams, key: string): number | undefined {
  const raw = one(params, key);
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new WebhookFormatError(`${key}: "${raw}" is not a number`);
  return value;
}

// Twilio's message states, mapped onto the forward-only states the core knows. Twilio adds states
// from time to time; an unknown one is logged and skipped rather than failing the whole callback.
const STATUSES: Record<string, DeliveryStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

function parseStatus(params: TwilioParams, messageStatus: string): InboundItem[] {
  const providerMessageId = required(params, 'MessageSid', 'SmsSid');
  const status = STATUSES[messageStatus.toLowerCase()];
  if (!status) {
    log.info(
      { providerMessageId, messageStatus },
      'skipping a status callback with a status this bridge does not track',
    );
    return [];
  }
  const errorCode = one(params, 'ErrorCode');
  const final = status === 'failed' || status === 'undelivered';
  return [
    {
      kind: 'status',
      providerMessageId,
      status,
      timestamp: new Date(),
      ...(final ? { error: callbackFailure(errorCode, messageStatus, one(params, 'ErrorMessage')) } : {}),
    },
  ];
}

function parseMedia(params: TwilioParams): InboundMedia[] {
  const count = number(params, 'NumMedia') ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > 20) {
    throw new WebhookFormatError(`NumMedia: "${one(params, 'NumMedia')}" is not a media count`);
  }
  const media: InboundMedia[] = [];
  for (let i = 0; i < count; i++) {
    const ref = required(params, `MediaUrl${i}`);
    const mimeType = one(params, `MediaContentType${i}`);
    media.push({ ref, ...(mimeType ? { mimeType } : {}) });
  }
  return media;
}

function parseMessage(sender: SenderInfo, params: TwilioParams): InboundMessage {
  const providerMessageId = required(params, 'MessageSid', 'SmsMessageSid', 'SmsSid');
  const from = contactAddress(required(params, 'From'), sender.channel);
  const to = stripAddress(required(params, 'To'));
  const profileName = one(params, 'ProfileName');
  const body = one(params, 'Body');
  const media = parseMedia(params);
  const latitude = number(params, 'Latitude');
  const longitude = number(params, 'Longitude');
  if ((latitude === undefined) !== (longitude === undefined)) {
    throw new WebhookFormatError(`${latitude === undefined ? 'Latitude' : 'Longitude'}: missing`);
  }
  const label = one(params, 'Label');
  const address = one(params, 'Address');
  // Quick-reply buttons of Content templates send ButtonPayload/ButtonText; list pickers ListId/ListTitle.
  const replyId = one(params, 'ButtonPayload') || one(params, 'ListId');
  const replyTitle = one(params, 'ButtonText') || one(params, 'ListTitle') || replyId;
  const inReplyTo = one(params, 'OriginalRepliedMessageSid');
  return {
    kind: 'message',
    providerMessageId,
    from: { ...from, ...(profileName ? { profileName } : {}) },
    to,
    // Twilio's webhooks carry no time of their own: the message is as recent as the request.
    timestamp: new Date(),
    ...(body ? { text: body } : {}),
    ...(media.length ? { media } : {}),
    ...(latitude !== undefined && longitude !== undefined
      ? {
          location: {
            latitude,
            longitude,
            ...(label ? { name: label } : {}),
            ...(address ? { address } : {}),
          },
        }
      : {}),
    ...(replyId && replyTitle ? { reply: { id: replyId, title: replyTitle } } : {}),
    ...(inReplyTo ? { inReplyTo } : {}),
  };
}

/** An inbound message or a status callback, told apart by MessageStatus. */
export function parseWebhook(sender: SenderInfo, request: WebhookRequest): InboundItem[] {
  const params = formParams(request.rawBody);
  if (Object.keys(params).length === 0) {
    throw new WebhookFormatError(
      'the body is not a form (application/x-www-form-urlencoded) with Twilio parameters',
    );
  }
  // Inbound messages say SmsStatus=received; older status callbacks carry only SmsStatus.
  const smsStatus = one(params, 'SmsStatus');
  const messageStatus =
    one(params, 'MessageStatus') || (smsStatus && !/^receiv/i.test(smsStatus) ? smsStatus : undefined);
  if (messageStatus) return parseStatus(params, messageStatus);
  return [parseMessage(sender, params)];
}
