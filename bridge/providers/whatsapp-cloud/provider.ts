import { z } from 'zod';
import { excerpt, providerFetch, readBody } from '../http.ts';
import {
  ProviderError,
  type Capabilities,
  type OutboundMedia,
  type Provider,
  type SenderInfo,
  type SendResult,
} from '../types.ts';
import { responseFailure } from './errors.ts';
import { mediaKind, messageBody } from './messages.ts';
import { handshake, parseWebhook, verifySignature } from './webhook.ts';

/*
 * Meta WhatsApp Business Cloud API (Graph API): JSON with a bearer token out, signed JSON webhooks
 * in. Media arrive as ids (resolved to a short-lived URL, downloaded with the same token) and leave
 * by link or, when only bytes are given, uploaded first.
 */

export const whatsappCloudCredentials = z.strictObject({
  phoneNumberId: z
    .string()
    .regex(/^\d+$/, 'must be the numeric Phone number ID from WhatsApp Manager (not the phone number)')
    .meta({ description: 'Phone number ID of the business number (WhatsApp Manager → API Setup).' }),
  accessToken: z
    .string()
    .min(20, 'must be a system user access token with whatsapp_business_messaging permission')
    .meta({ description: 'Access token that sends messages and downloads media. Secret.' }),
  appSecret: z
    .string()
    .min(16, 'must be the App Secret of the Meta app (App settings → Basic)')
    .meta({ description: 'App Secret: signs webhooks (X-Hub-Signature-256). Secret.' }),
  verifyToken: z
    .string()
    .min(8, 'must be at least 8 characters; enter the same value in the Meta app webhook settings')
    .meta({ description: 'Verify token you choose and enter in the Meta app webhook settings.' }),
});

export type WhatsAppCloudCredentials = z.infer<typeof whatsappCloudCredentials>;

function credentialsOf(sender: SenderInfo): WhatsAppCloudCredentials {
  return whatsappCloudCredentials.parse(sender.credentials);
}

function notJson(status: number, text: string): ProviderError {
  return new ProviderError({
    kind: 'unavailable',
    code: `http-${status}`,
    message: `Meta answered HTTP ${status} with a body that is not JSON: ${excerpt(text)}`,
    permanent: false,
  });
}

export function createWhatsAppCloudProvider(options: {
  baseUrl: string;
  apiVersion: string;
  timeoutMs: number;
}): Provider {
  const graph = `${options.baseUrl.replace(/\/$/, '')}/${options.apiVersion}`;

  /** One Graph API call; answers parsed JSON or throws a classified ProviderError. */
  const call = async (credentials: WhatsAppCloudCredentials, url: string, init: RequestInit) => {
    const response = await providerFetch(
      url,
      {
        ...init,
        headers: {
          authorization: `Bearer ${credentials.accessToken}`,
          ...(init.headers as Record<string, string>),
        },
      },
      options.timeoutMs,
    );
    const { text, json } = await readBody(response);
    if (!response.ok) throw new ProviderError(responseFailure(response, text, json));
    if (typeof json !== 'object' || json === null) throw notJson(response.status, text);
    return json as Record<string, unknown>;
  };

  const postJson = (credentials: WhatsAppCloudCredentials, path: string, body: unknown) =>
    call(credentials, `${graph}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const upload = async (credentials: WhatsAppCloudCredentials, media: OutboundMedia): Promise<string> => {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', media.mimeType);
    form.set(
      'file',
      new Blob([new Uint8Array(media.data!)], { type: media.mimeType }),
      media.filename ?? 'file',
    );
    const result = await call(
      credentials,
      `${graph}/${encodeURIComponent(credentials.phoneNumberId)}/media`,
      {
        method: 'POST',
        body: form,
      },
    );
    if (typeof result.id !== 'string' || !result.id) {
      throw new ProviderError({
        kind: 'unavailable',
        code: 'no-media-id',
        message: 'Meta accepted the media upload without giving its id',
        permanent: false,
      });
    }
    return result.id;
  };

  return {
    name: 'whatsapp-cloud',
    channels: ['whatsapp'],
    credentialsSchema: whatsappCloudCredentials,

    capabilities: (): Capabilities => ({
      media: true,
      interactive: true,
      templates: true,
      readReceipts: true,
      markRead: true,
      maxTextLength: 4096,
      customerCareWindowHours: 24,
      segmented: false,
    }),

    webhookPath: (sender) => `/webhooks/whatsapp/${sender.id}`,

    handshake: (sender, request) => handshake(credentialsOf(sender).verifyToken, request),

    verify: (sender, request) => verifySignature(credentialsOf(sender).appSecret, request),

    parse: (sender, request) => parseWebhook(sender, credentialsOf(sender).phoneNumberId, request),

    acknowledge: () => ({ status: 200, contentType: 'text/plain', body: 'OK' }),

    async send(sender, message): Promise<SendResult> {
      const credentials = credentialsOf(sender);
      const plain = !message.template && !message.interactive && !message.media;
      if (plain && !message.text) {
        throw new ProviderError({
          kind: 'rejected',
          code: 'empty',
          message: 'nothing to send: no text, media, menu or template',
          permanent: true,
        });
      }
      let mediaRef: { id: string } | { link: string } | undefined;
      if (message.media && !message.template && !message.interactive) {
        if (message.media.url) mediaRef = { link: message.media.url };
        else if (message.media.data) mediaRef = { id: await upload(credentials, message.media) };
        else {
          throw new ProviderError({
            kind: 'rejected',
            code: 'media-empty',
            message: `the ${mediaKind(message.media, undefined)} has neither a URL nor bytes`,
            permanent: true,
          });
        }
      }
      const body = {
        ...messageBody(message, mediaRef),
        // Echoed back by Meta in the statuses of this message: ties them to the outbox row.
        biz_opaque_callback_data: message.idempotencyKey.slice(0, 512),
      };
      const result = await postJson(
        credentials,
        `${encodeURIComponent(credentials.phoneNumberId)}/messages`,
        body,
      );
      const id = (result.messages as { id?: unknown }[] | undefined)?.[0]?.id;
      if (typeof id !== 'string' || !id) {
        throw new ProviderError({
          kind: 'unavailable',
          code: 'no-message-id',
          message: 'Meta accepted the message without giving its id',
          permanent: false,
        });
      }
      return { providerMessageId: id, status: 'queued' };
    },

    async fetchMedia(sender, media) {
      const credentials = credentialsOf(sender);
      const info = await call(credentials, `${graph}/${encodeURIComponent(media.ref)}`, { method: 'GET' });
      if (typeof info.url !== 'string' || !info.url) {
        throw new ProviderError({
          kind: 'unavailable',
          code: 'no-media-url',
          message: `Meta gave no download URL for media ${media.ref}`,
          permanent: false,
        });
      }
      // The URL lives about five minutes and needs the same bearer token.
      const response = await providerFetch(
        info.url,
        { headers: { authorization: `Bearer ${credentials.accessToken}` } },
        options.timeoutMs,
      );
      if (!response.ok) {
        const { text, json } = await readBody(response);
        throw new ProviderError(responseFailure(response, text, json));
      }
      const mimeType =
        (typeof info.mime_type === 'string' && info.mime_type) ||
        response.headers.get('content-type')?.split(';')[0]?.trim() ||
        media.mimeType ||
        'application/octet-stream';
      return {
        data: Buffer.from(await response.arrayBuffer()),
        mimeType,
        ...(media.filename ? { filename: media.filename } : {}),
      };
    },

    async markRead(sender, providerMessageId) {
      const credentials = credentialsOf(sender);
      await postJson(credentials, `${encodeURIComponent(credentials.phoneNumberId)}/messages`, {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: providerMessageId,
      });
    },
  };
}
