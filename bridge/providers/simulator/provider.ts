import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { contactAddress } from '../../addresses.ts';
import { httpFailure, parseRetryAfter, providerFetch, readJson } from '../http.ts';
import {
  ProviderError,
  WebhookFormatError,
  type Capabilities,
  type DeliveryStatus,
  type FailureKind,
  type InboundItem,
  type Provider,
  type SenderInfo,
  type WebhookRequest,
} from '../types.ts';

/*
 * The phone simulator: a local stand-in for a carrier, used by `npm run dev` and the demo. It is a
 * provider like the others (signed webhooks in, authenticated HTTP out, classified errors), so the
 * core takes no shortcut for it.
 *
 * Inbound: POST <publicUrl>/webhooks/simulator/<senderId>, JSON
 *   { messages?: [{ id, from, profileName?, timestamp?, text?, media?: [{ url, mimeType, filename?, caption? }],
 *                   location?: { latitude, longitude, name?, address? }, reply?: { id, title }, inReplyTo? }],
 *     statuses?: [{ id, status, timestamp?, error?: { code, message } }] }
 *   signed with X-Simulator-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>.
 * Outbound: POST <simulator.baseUrl>/api/senders/<senderId>/messages (JSON, same signature header);
 *   201 { id, status }; errors { error: { code, message } } where code is a failure kind.
 * Read: POST <simulator.baseUrl>/api/senders/<senderId>/read { messageId }.
 */

const SIGNATURE_HEADER = 'x-simulator-signature';

export const simulatorCredentials = z.strictObject({
  secret: z.string().min(16, 'must be at least 16 characters').meta({
    description: 'Shared secret that signs requests both ways (HMAC-SHA256).',
  }),
});

const mediaSchema = z.object({
  url: z.url(),
  mimeType: z.string().optional(),
  filename: z.string().optional(),
  caption: z.string().optional(),
});

const payloadSchema = z.object({
  messages: z
    .array(
      z.object({
        id: z.string().min(1),
        from: z.string().min(1),
        profileName: z.string().optional(),
        timestamp: z.number().optional(),
        text: z.string().optional(),
        media: z.array(mediaSchema).optional(),
        location: z
          .object({
            latitude: z.number(),
            longitude: z.number(),
            name: z.string().optional(),
            address: z.string().optional(),
          })
          .optional(),
        reply: z.object({ id: z.string(), title: z.string() }).optional(),
        inReplyTo: z.string().optional(),
      }),
    )
    .default([]),
  statuses: z
    .array(
      z.object({
        id: z.string().min(1),
        status: z.enum(['queued', 'sent', 'delivered', 'read', 'undelivered', 'failed']),
        timestamp: z.number().optional(),
        error: z.object({ code: z.string(), message: z.string() }).optional(),
      }),
    )
    .default([]),
});

const FAILURE_KINDS: readonly FailureKind[] = [
  'opted-out',
  'window-closed',
  'invalid-recipient',
  'unreachable',
  'auth',
  'throttled',
  'unavailable',
  'rejected',
];
const PERMANENT: ReadonlySet<FailureKind> = new Set([
  'opted-out',
  'window-closed',
  'invalid-recipient',
  'auth',
  'rejected',
]);

export function simulatorSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function secretOf(sender: SenderInfo): string {
  return simulatorCredentials.parse(sender.credentials).secret;
}

function failureKind(code: string | undefined): FailureKind | undefined {
  return FAILURE_KINDS.find((k) => k === code);
}

export function createSimulatorProvider(options: { baseUrl: string; timeoutMs: number }): Provider {
  const base = options.baseUrl.replace(/\/$/, '');

  const post = async (sender: SenderInfo, path: string, body: unknown) => {
    const json = JSON.stringify(body);
    const response = await providerFetch(
      `${base}/api/senders/${encodeURIComponent(sender.id)}${path}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: simulatorSignature(secretOf(sender), json),
        },
        body: json,
      },
      options.timeoutMs,
    );
    const parsed = (await readJson(response)) as {
      id?: string;
      status?: DeliveryStatus;
      error?: { code?: string; message?: string };
    };
    if (!response.ok) {
      const kind = failureKind(parsed.error?.code);
      const message = parsed.error?.message ?? `HTTP ${response.status}`;
      if (kind) {
        throw new ProviderError({
          kind,
          code: kind,
          message,
          permanent: PERMANENT.has(kind),
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        });
      }
      throw new ProviderError(httpFailure(response, message));
    }
    return parsed;
  };

  return {
    name: 'simulator',
    channels: ['sms', 'whatsapp'],
    credentialsSchema: simulatorCredentials,

    capabilities(sender): Capabilities {
      const whatsapp = sender.channel === 'whatsapp';
      return {
        media: true,
        interactive: whatsapp,
        templates: whatsapp,
        readReceipts: whatsapp,
        markRead: whatsapp,
        maxTextLength: whatsapp ? 4096 : 1600,
        ...(whatsapp ? { customerCareWindowHours: 24 } : {}),
        segmented: !whatsapp,
      };
    },

    webhookPath: (sender) => `/webhooks/simulator/${sender.id}`,

    verify(sender, request: WebhookRequest) {
      const given = request.headers[SIGNATURE_HEADER];
      if (!given) return false;
      const expected = Buffer.from(simulatorSignature(secretOf(sender), request.rawBody));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },

    parse(sender, request): InboundItem[] {
      let json: unknown;
      try {
        json = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        throw new WebhookFormatError('the body is not JSON');
      }
      const result = payloadSchema.safeParse(json);
      if (!result.success) {
        const issue = result.error.issues[0]!;
        throw new WebhookFormatError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const items: InboundItem[] = [];
      for (const m of result.data.messages) {
        items.push({
          kind: 'message',
          providerMessageId: m.id,
          from: {
            ...contactAddress(m.from, sender.channel),
            ...(m.profileName ? { profileName: m.profileName } : {}),
          },
          to: sender.address,
          timestamp: new Date(m.timestamp ?? Date.now()),
          ...(m.text !== undefined ? { text: m.text } : {}),
          ...(m.media?.length
            ? {
                media: m.media.map((x) => ({
                  ref: x.url,
                  ...(x.mimeType ? { mimeType: x.mimeType } : {}),
                  ...(x.filename ? { filename: x.filename } : {}),
                  ...(x.caption ? { caption: x.caption } : {}),
                })),
              }
            : {}),
          ...(m.location ? { location: m.location } : {}),
          ...(m.reply ? { reply: m.reply } : {}),
          ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
        });
      }
      for (const s of result.data.statuses) {
        const kind = failureKind(s.error?.code);
        items.push({
          kind: 'status',
          providerMessageId: s.id,
          status: s.status,
          timestamp: new Date(s.timestamp ?? Date.now()),
          ...(s.error
            ? {
                error: {
                  kind: kind ?? 'rejected',
                  code: s.error.code,
                  message: s.error.message,
                  permanent: kind ? PERMANENT.has(kind) : true,
                },
              }
            : {}),
        });
      }
      return items;
    },

    acknowledge: () => ({ status: 200, contentType: 'application/json', body: '{}' }),

    async send(sender, message) {
      const body = {
        to: message.to,
        from: sender.address,
        channel: sender.channel,
        ...(message.text !== undefined ? { text: message.text } : {}),
        ...(message.media
          ? {
              media: {
                mimeType: message.media.mimeType,
                ...(message.media.url ? { url: message.media.url } : {}),
                ...(message.media.data ? { dataBase64: message.media.data.toString('base64') } : {}),
                ...(message.media.filename ? { filename: message.media.filename } : {}),
                ...(message.media.caption ? { caption: message.media.caption } : {}),
              },
            }
          : {}),
        ...(message.interactive ? { interactive: message.interactive } : {}),
        ...(message.template ? { template: message.template } : {}),
        ...(message.statusCallbackUrl ? { statusCallbackUrl: message.statusCallbackUrl } : {}),
        idempotencyKey: message.idempotencyKey,
      };
      const result = await post(sender, '/messages', body);
      if (!result.id) {
        throw new ProviderError({
          kind: 'unavailable',
          code: 'no-id',
          message: 'the simulator answered without an id',
          permanent: false,
        });
      }
      return { providerMessageId: result.id, ...(result.status ? { status: result.status } : {}) };
    },

    async fetchMedia(sender, media) {
      const response = await providerFetch(
        media.ref,
        { headers: { [SIGNATURE_HEADER]: simulatorSignature(secretOf(sender), media.ref) } },
        options.timeoutMs,
      );
      if (!response.ok)
        throw new ProviderError(httpFailure(response, `media download answered HTTP ${response.status}`));
      const mimeType =
        response.headers.get('content-type')?.split(';')[0] ?? media.mimeType ?? 'application/octet-stream';
      return {
        data: Buffer.from(await response.arrayBuffer()),
        mimeType,
        ...(media.filename ? { filename: media.filename } : {}),
      };
    },

    async markRead(sender, providerMessageId) {
      await post(sender, '/read', { messageId: providerMessageId });
    },
  };
}
