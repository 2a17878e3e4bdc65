import { z } from 'zod';
import { ATTRIBUTE_TYPES } from '../../bot/contacts/attributes.ts';
import { timestamp, uuid } from './common.ts';

export const contactParams = z.strictObject({ id: uuid.meta({ description: 'The contact.' }) });

export const contactSchema = z.strictObject({
  id: uuid,
  spaceId: uuid,
  channel: z.string(),
  address: z.string().meta({ description: 'E.164, short code, or a WhatsApp user id.' }),
  addressKind: z.string(),
  profileName: z.string().nullable(),
  attributes: z
    .record(
      z.string(),
      z.strictObject({
        value: z.string(),
        type: z.enum(ATTRIBUTE_TYPES),
        setBy: z.string().meta({ description: "'customer', 'bot', 'api', or the Matrix ID of who set it." }),
        setAt: timestamp,
      }),
    )
    .meta({
      description:
        'What is known about the contact, by key (collected by campaign flows, set by agents or the API).',
    }),
  tags: z.array(z.string()).meta({
    description:
      "The contact's tags, oldest first (then by name): the space's tags set by agents or the API, and the automatic new and campaign:<name>.",
  }),
  notes: z
    .array(
      z.strictObject({
        id: uuid,
        text: z.string(),
        author: z.string().meta({ description: 'The Matrix ID of the agent who wrote it.' }),
        conversationId: uuid.nullable(),
        createdAt: timestamp,
      }),
    )
    .meta({ description: 'Internal notes by agents (never sent to the customer), newest first.' }),
  journey: z
    .array(
      z.strictObject({
        type: z.string().meta({
          description:
            'messages (a run of messages, counted: {customer, agent, last}), handover, offer, offer-closed, assign, transfer, unassign, first-response, resolve, reopen, archive, offline, offline-form, campaign-start, campaign-end, option-chosen, attribute-set, attribute-removed, tag, untag, note, …',
        }),
        actor: z.string().meta({ description: "A Matrix ID, or 'bot', 'customer', 'system', 'api'." }),
        conversationId: uuid.nullable(),
        detail: z.record(z.string(), z.unknown()).meta({ description: 'e.g. {from, to} for transitions.' }),
        at: timestamp,
      }),
    )
    .meta({ description: "The contact's event log, oldest first (the latest 500)." }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const attributeValue = z
  .union([z.string(), z.number(), z.boolean(), z.null()], {
    error: 'must be a string, a number, a boolean or null',
  })
  .meta({
    description: 'The new value (checked by type: email, phone, country, date, number…); null removes it.',
  });

const tagList = z
  .array(z.string({ error: 'must be a string' }), { error: 'must be a list' })
  .max(50, { error: 'must list at most 50 tags' });

export const updateContactBody = z.strictObject({
  attributes: z
    .record(z.string(), attributeValue, { error: 'must be an object' })
    .optional()
    .meta({ description: 'Attributes to set or (null) remove; the others stay.' }),
  tags: z
    .strictObject({
      add: tagList
        .optional()
        .meta({ description: "Tags of the space's list (GET /spaces/{id}/tags) to add." }),
      remove: tagList.optional().meta({ description: 'Tags to take off (automatic ones too).' }),
    })
    .optional(),
});

export const tagSchema = z.strictObject({
  name: z.string(),
  description: z.string().nullable(),
  createdBy: z.string().meta({ description: "The Matrix ID of the admin who created it, or 'api'." }),
  createdAt: timestamp,
  contacts: z.number().int().meta({ description: 'Contacts of the space that have it.' }),
});

export const createTagBody = z.strictObject({
  name: z.string({ error: 'must be a string' }).meta({
    description: 'Lower-case letters, digits, _ . - (at most 40); new and campaign:… are automatic.',
  }),
  description: z
    .string({ error: 'must be a string' })
    .trim()
    .max(200, { error: 'must be at most 200 characters' })
    .optional(),
});

export const tagParams = z.strictObject({
  id: uuid.meta({ description: 'The space.' }),
  name: z.string().meta({ description: 'The tag.' }),
});
