import { z } from 'zod';
import { timestamp, uuid } from './common.ts';

const channel = z
  .enum(['sms', 'whatsapp'], { error: 'must be sms or whatsapp' })
  .meta({ description: 'The channel the number works on.' });
const mode = z.enum(['chatbot', 'livechat'], { error: 'must be chatbot or livechat' }).meta({
  description: 'chatbot: flows answer first; livechat: every inbound message goes straight to agents.',
});
const credentials = z.record(z.string(), z.unknown(), { error: 'must be an object' }).meta({
  description:
    "The provider's credentials (write-only: never returned). Their fields are the provider's (see x-provider-credentials).",
});

export const createSenderBody = z.strictObject({
  channel,
  address: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(40, { error: 'must be at most 40 characters' })
    .meta({
      description:
        'The business number: E.164 (+14155550100; a leading + may be left out), or 1–6 digit SMS short code.',
    }),
  provider: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .meta({ description: 'A provider that carries the channel (see x-provider-credentials).' }),
  mode,
  bidirectional: z.literal(true, {
    error:
      'must be true: a sender carries both the messages customers send (MO) and the answers (MT); one-way numbers are not supported',
  }),
  credentials,
});

export const updateSenderBody = z.strictObject({
  mode: mode.optional(),
  credentials: credentials.optional().meta({
    description: 'New credentials (rotation); validated like at creation, replaced as a whole.',
  }),
});

export const senderSchema = z.strictObject({
  id: uuid,
  spaceId: uuid,
  channel,
  address: z.string().meta({ description: 'Normalized: E.164, or the short code digits.' }),
  addressKind: z.enum(['e164', 'shortcode']),
  provider: z.string(),
  mode,
  bidirectional: z.literal(true),
  webhookUrl: z.string().meta({ description: "Configure this at the provider as the sender's webhook." }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const senderListSchema = z.strictObject({ senders: z.array(senderSchema) });

export const senderParams = z.strictObject({
  id: uuid.meta({ description: 'The space.' }),
  senderId: uuid.meta({ description: 'The sender.' }),
});
