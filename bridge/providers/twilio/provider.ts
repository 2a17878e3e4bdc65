import { z } from 'zod';
import { excerpt, httpFailure, providerFetch, readBody } from '../http.ts';
import {
  ProviderError,
  type Capabilities,
  type DeliveryStatus,
  type OutboundMessage,
  type Provider,
  type SenderInfo,
  type SendResult,
} from '../types.ts';
import { callbackFailure, responseFailure } from './errors.ts';
import { parseWebhook, verifySignature } from './webhook.ts';

/*
 * Twilio Programmable Messaging: SMS/MMS and WhatsApp on one REST API.
 *
 * Sending uses plain HTTP (providerFetch) rather than the `twilio` client: the Messages API is one
 * form POST, and the client would hide what the core needs (the Retry-After header, network errors
 * told apart from answers) behind its own exception types and would need an httpClient shim to
 * honour providers.twilio.baseUrl. The `twilio` package is still used where it is the reference:
 * validating webhook signatures.
 */

export const twilioCredentials = z.strictObject({
  accountSid: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID: "AC" followed by 32 hexadecimal characters')
    .meta({ description: 'Account SID (AC…), from the Twilio Console.' }),
  authToken: z
    .string()
    .min(16, 'must be the Auth Token of the account (32 characters in the Twilio Console)')
    .meta({ description: 'Auth Token: authenticates sends and signs webhooks. Secret.' }),
  messagingServiceSid: z
    .string()
    .regex(
      /^MG[0-9a-fA-F]{32}$/,
      'must be a Messaging Service SID: "MG" followed by 32 hexadecimal characters',
    )
    .optional()
    .meta({ description: 'Send through this Messaging Service instead of from the number itself.' }),
});

export type TwilioCredentials = z.infer<typeof twilioCredentials>;

const CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;

function credentialsOf(sender: SenderInfo): TwilioCredentials {
  return twilioCredentials.parse(sender.credentials);
}

function basicAuth(credentials: TwilioCredentials): string {
  return `Basic ${Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString('base64')}`;
}

function rejected(code: string, message: string): ProviderError {
  return new ProviderError({ kind: 'rejected', code, message, permanent: true });
}

/** Menus as numbered text: Twilio needs pre-approved Content templates for real buttons. */
function numberedMenu(interactive: NonNullable<OutboundMessage['interactive']>): string {
  const lines = interactive.options.map(
    (o, i) => `${i + 1}. ${o.title}${o.description ? ` — ${o.description}` : ''}`,
  );
  return [interactive.body, '', ...lines].join('\n');
}

/** The form body of one send. */
export function messageForm(
  sender: SenderInfo,
  credentials: TwilioCredentials,
  message: OutboundMessage,
): URLSearchParams {
  const whatsapp = sender.channel === 'whatsapp';
  const address = (a: string) => (whatsapp ? `whatsapp:${a}` : a);
  const form = new URLSearchParams();
  form.set('To', address(message.to));
  if (credentials.messagingServiceSid) form.set('MessagingServiceSid', credentials.messagingServiceSid);
  else form.set('From', address(sender.address));

  if (message.template) {
    if (!CONTENT_SID.test(message.template.name)) {
      throw rejected(
        'template-not-content-sid',
        `Twilio sends templates by Content SID: "${message.template.name}" is not one (HX followed by 32 hexadecimal characters)`,
      );
    }
    form.set('ContentSid', message.template.name);
    if (message.template.parameters.length) {
      form.set(
        'ContentVariables',
        JSON.stringify(Object.fromEntries(message.template.parameters.map((p, i) => [String(i + 1), p]))),
      );
    }
  } else {
    // An interactive message carries its own body; the caption of a media goes in Body too.
    const text = message.interactive ? numberedMenu(message.interactive) : message.text;
    const body = [message.media?.caption, text].filter((part) => part).join('\n\n');
    if (message.media) {
      if (!message.media.url) {
        throw rejected(
          'media-url-required',
          "Twilio's Messages API only takes media by URL; this attachment has no URL Twilio could fetch",
        );
      }
      form.append('MediaUrl', message.media.url);
    }
    if (body) form.set('Body', body);
    if (!body && !message.media) throw rejected('empty', 'nothing to send: no text, media or template');
  }
  if (message.statusCallbackUrl) form.set('StatusCallback', message.statusCallbackUrl);
  return form;
}

const SEND_STATUSES: Record<string, DeliveryStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
};

export function createTwilioProvider(options: { baseUrl: string; timeoutMs: number }): Provider {
  const base = options.baseUrl.replace(/\/$/, '');
  const baseOrigin = new URL(base).origin;

  return {
    name: 'twilio',
    channels: ['sms', 'whatsapp'],
    credentialsSchema: twilioCredentials,

    capabilities(sender): Capabilities {
      if (sender.channel === 'whatsapp') {
        return {
          media: true,
          interactive: false,
          templates: true,
          readReceipts: true,
          markRead: false,
          maxTextLength: 1600,
          customerCareWindowHours: 24,
          segmented: false,
        };
      }
      return {
        media: true,
        interactive: false,
        templates: false,
        readReceipts: false,
        markRead: false,
        maxTextLength: 1600,
        segmented: true,
      };
    },

    webhookPath: (sender) => `/webhooks/twilio/${sender.id}`,

    verify: (sender, request) => verifySignature(credentialsOf(sender).authToken, request),

    parse: (sender, request) => parseWebhook(sender, request),

    // Never text/plain: Twilio would text that body to the customer.
    acknowledge: () => ({
      status: 200,
      contentType: 'text/xml',
      body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
    }),

    async send(sender, message): Promise<SendResult> {
      const credentials = credentialsOf(sender);
      const form = messageForm(sender, credentials, message);
      const response = await providerFetch(
        `${base}/2010-04-01/Accounts/${encodeURIComponent(credentials.accountSid)}/Messages.json`,
        {
          method: 'POST',
          headers: {
            authorization: basicAuth(credentials),
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: form.toString(),
        },
        options.timeoutMs,
      );
      const { text, json } = await readBody(response);
      if (!response.ok) throw new ProviderError(responseFailure(response, text, json));
      const result = json as
        | {
            sid?: unknown;
            status?: unknown;
            num_segments?: unknown;
            error_code?: unknown;
            error_message?: unknown;
          }
        | undefined;
      if (typeof result !== 'object' || result === null) {
        // Twilio may or may not have taken the message; retrying is the only way to find out.
        throw new ProviderError({
          kind: 'unavailable',
          code: `http-${response.status}`,
          message: `Twilio answered HTTP ${response.status} with a body that is not JSON: ${excerpt(text)}`,
          permanent: false,
        });
      }
      if (typeof result.sid !== 'string' || !result.sid) {
        throw new ProviderError({
          kind: 'unavailable',
          code: 'no-sid',
          message: `Twilio answered HTTP ${response.status} without a message SID`,
          permanent: false,
        });
      }
      const status = typeof result.status === 'string' ? result.status : undefined;
      if (status === 'failed' || status === 'undelivered') {
        const code = result.error_code == null ? undefined : String(result.error_code);
        const reason = typeof result.error_message === 'string' ? result.error_message : undefined;
        throw new ProviderError(callbackFailure(code, status, reason));
      }
      const segments = Number(result.num_segments);
      const mapped = status ? SEND_STATUSES[status] : undefined;
      return {
        providerMessageId: result.sid,
        ...(mapped ? { status: mapped } : {}),
        ...(Number.isInteger(segments) && segments > 0 ? { segments } : {}),
      };
    },

    async fetchMedia(sender, media) {
      const credentials = credentialsOf(sender);
      // Twilio answers the media URL with a redirect to its storage. The credentials go only to
      // Twilio itself, never to the storage host the redirect names (nor to a URL elsewhere).
      let url = media.ref;
      for (let hop = 0; hop < 5; hop++) {
        const target = new URL(url);
        const twilioHost = target.origin === baseOrigin || target.hostname.endsWith('.twilio.com');
        const response = await providerFetch(
          url,
          { headers: twilioHost ? { authorization: basicAuth(credentials) } : {}, redirect: 'manual' },
          options.timeoutMs,
        );
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel();
          url = new URL(location, url).toString();
          continue;
        }
        if (!response.ok) {
          const { text, json } = await readBody(response);
          const failure = json
            ? responseFailure(response, text, json)
            : httpFailure(response, `media download answered HTTP ${response.status}`);
          throw new ProviderError(failure);
        }
        const mimeType =
          response.headers.get('content-type')?.split(';')[0]?.trim() ||
          media.mimeType ||
          'application/octet-stream';
        return {
          data: Buffer.from(await response.arrayBuffer()),
          mimeType,
          ...(media.filename ? { filename: media.filename } : {}),
        };
      }
      throw new ProviderError({
        kind: 'unavailable',
        code: 'too-many-redirects',
        message: 'the media download was redirected more than 5 times',
        permanent: false,
      });
    },
  };
}
