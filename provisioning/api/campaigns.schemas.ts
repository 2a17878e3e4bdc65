import { z } from 'zod';
import { campaignKeywordsSchema, flowSchema, liveMessagesSchema } from '../../bot/flows/index.ts';
import { text, timestamp, uuid } from './common.ts';

/*
 * Campaign bodies. The flow is checked by the flow engine's own validation (bot/flows), which names
 * the node and field of every problem; the body schema only takes an object or a YAML/JSON text,
 * and documents the flow with the engine's schema.
 */

const { $schema: _, ...flowJsonSchema } = z.toJSONSchema(flowSchema, { io: 'input', unrepresentable: 'any' });

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const flowInput = z
  .unknown()
  .refine((v) => v !== undefined, { error: 'required' })
  .refine((v) => v === undefined || typeof v === 'string' || isObject(v), {
    error: 'must be a flow definition: an object, or its YAML or JSON text',
  })
  .meta({
    description:
      'The flow: an object, or the same as YAML or JSON text (errors then carry line and column). Every problem is reported with its path, e.g. nodes.menu.options[1].next.',
    oneOf: [{ type: 'string', description: 'YAML or JSON text of the flow.' }, flowJsonSchema],
  });

const keywords = campaignKeywordsSchema;

const messages = liveMessagesSchema.meta({
  description:
    "This campaign's live-assistant messages (welcome, queued, position, assigned, takeover, offline, resolved), over the space's; the flow's own `messages` count too, these win.",
});

const isDefault = z.boolean({ error: 'must be true or false' }).meta({
  description:
    "Answer messages that match no keyword on the space's chatbot senders with this campaign (one per space: setting it replaces the previous one).",
});

export const createCampaignBody = z.strictObject({
  name: text('Name of the campaign, e.g. "Help Package".', 100),
  senderId: uuid.meta({ description: 'The sender (of this space) whose customers it answers.' }),
  keywords,
  flow: flowInput,
  default: isDefault.optional(),
  messages: messages.optional(),
});

export const updateCampaignBody = z.strictObject({
  name: text('New name.', 100).optional(),
  keywords: keywords.optional(),
  flow: flowInput.optional().meta({
    description: 'A new flow: a new revision. Conversations already in the campaign finish on theirs.',
  }),
  default: isDefault.optional(),
  messages: messages.optional(),
});

const problem = z.strictObject({
  path: z.string().meta({ description: 'Where in the flow, e.g. nodes.menu.options[1].next.' }),
  message: z.string(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});

export const campaignSchema = z.strictObject({
  id: uuid,
  spaceId: uuid,
  senderId: uuid,
  name: z.string(),
  keywords: z.array(z.string()),
  default: z.boolean(),
  revision: z.number().int().meta({ description: 'Goes up with every change of the flow or messages.' }),
  flow: z
    .record(z.string(), z.unknown())
    .meta({ description: 'The current flow, validated (defaults filled in).' }),
  messages: z.record(z.string(), z.string()),
  warnings: z.array(problem).meta({
    description: 'What is probably a mistake but runs (an unreachable node, a sender in livechat mode).',
  }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const campaignParams = z.strictObject({
  id: uuid.meta({ description: 'The space.' }),
  campaignId: uuid.meta({ description: 'The campaign.' }),
});

export const campaignListQuery = z.strictObject({
  senderId: uuid.optional().meta({ description: "Only this sender's campaigns." }),
});

export const campaignListSchema = z.strictObject({ campaigns: z.array(campaignSchema) });
