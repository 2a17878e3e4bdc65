import { z } from 'zod';
import { MESSAGE_KEYS } from '../store/spaces.ts';
import { text, timestamp, uuid, wholeNumber } from './common.ts';

export const MAX_SEATS = 100_000;

export const seatsSchema = z
  .strictObject({
    limit: z.number().int().meta({ description: 'Seats the space has.' }),
    used: z.number().int().meta({ description: 'Seats held by agents and admins.' }),
    pending: z.number().int().meta({ description: 'Seats reserved by open (unexpired) invitations.' }),
    available: z.number().int().meta({ description: 'limit − used − pending (never below 0).' }),
  })
  .meta({ description: 'The seat counter.' });

const policy = z
  .enum(['broadcast', 'round-robin', 'least-busy'], { error: 'must be broadcast, round-robin or least-busy' })
  .meta({
    description:
      'broadcast: offer to every online agent with capacity, first to join wins; round-robin / least-busy: one agent at a time.',
  });

const offerTimeout = wholeNumber(5, 3600).meta({
  description:
    'round-robin / least-busy (and transfers, and a reopened conversation offered to its previous agent): seconds before the offer moves on.',
});

const maxWait = wholeNumber(10, 7 * 24 * 3600).meta({
  description:
    'Seconds a customer waits in the queue before the offline message (and form); the conversation stays queued.',
});

const maxChats = wholeNumber(1, 1000).meta({
  description: "Most conversations an agent has at once, unless the agent's own maxChats says otherwise.",
});

const messageText = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty (use null to go back to the default)' })
  .max(2000, { error: 'must be at most 2000 characters' });

const messagesShape = Object.fromEntries(
  MESSAGE_KEYS.map((key) => [key, messageText.nullable().optional()]),
) as Record<(typeof MESSAGE_KEYS)[number], z.ZodOptional<z.ZodNullable<typeof messageText>>>;

const messagesInput = z.strictObject(messagesShape).meta({
  description:
    'Live-assistant messages to the customer (takeover: a notice in the room). Placeholders: {{agent}}, {{position}} (queued, position), {{keywords}} (noMatch). null restores the default.',
});

const livechatInput = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).optional().meta({
    description: 'Whether conversations can be handed over to agents (off: the offline message instead).',
  }),
  offlineForm: z.boolean({ error: 'must be true or false' }).optional().meta({
    description:
      "When nobody can answer, the bot asks for name, email and message and emails them to the space's admins.",
  }),
});

const routingInput = z
  .strictObject({
    policy: policy.optional(),
    offerTimeoutSeconds: offerTimeout.optional(),
    maxWaitSeconds: maxWait.optional(),
    maxChatsDefault: maxChats.optional(),
  })
  .meta({ description: 'How queued conversations are offered to agents.' });

export const createSpaceBody = z.strictObject({
  name: text('Name of the space (a business unit, e.g. "Orders").', 100),
  seats: wholeNumber(0, MAX_SEATS).meta({
    description: 'Seat limit: how many agents and admins it may have.',
  }),
  livechat: livechatInput.optional(),
  routing: routingInput.optional(),
  messages: messagesInput.optional(),
});

export const updateSpaceBody = z.strictObject({
  name: text('New name; the Matrix rooms are renamed too.', 100).optional(),
  seats: wholeNumber(0, MAX_SEATS)
    .optional()
    .meta({ description: 'New seat limit; never below the seats in use and reserved.' }),
  livechat: livechatInput.optional(),
  routing: routingInput.optional(),
  messages: messagesInput.optional(),
});

export const spaceSchema = z.strictObject({
  id: uuid,
  name: z.string(),
  seats: seatsSchema,
  livechat: z.strictObject({ enabled: z.boolean(), offlineForm: z.boolean() }),
  matrix: z.strictObject({
    spaceRoomId: z.string().meta({ description: 'The m.space room.' }),
    controlRoomId: z.string().meta({ description: 'The control room (admins and the bot).' }),
  }),
  routing: z.strictObject({
    policy,
    offerTimeoutSeconds: z.number().int(),
    maxWaitSeconds: z.number().int(),
    maxChatsDefault: z.number().int(),
  }),
  defaultCampaignId: uuid.nullable().meta({
    description: "The campaign that answers messages matching no keyword on the space's chatbot senders.",
  }),
  messages: z
    .strictObject(Object.fromEntries(MESSAGE_KEYS.map((k) => [k, z.string()])) as Record<string, z.ZodString>)
    .meta({ description: 'The messages in effect (the defaults where not changed).' }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const spaceListSchema = z.strictObject({ spaces: z.array(spaceSchema) });
