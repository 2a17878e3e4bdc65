import { z } from 'zod';
import { ATTRIBUTE_TYPES, getAttributes } from '../../bot/contacts/attributes.ts';
import { listJourney } from '../../bot/journey/store.ts';
import { errors } from '../errors.ts';
import {
  getContact,
  getConversation,
  listConversations,
  type ConversationRow,
} from '../store/conversations.ts';
import { COMMON_ERRORS, notFound, spaceParams, timestamp, uuid } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, type AnyRoute } from './route.ts';
import { requireSpace } from './spaces.ts';

const STATES = ['bot', 'queued', 'assigned', 'resolved', 'archived'] as const;

const state = z.enum(STATES, { error: `must be one of ${STATES.join(', ')}` }).meta({
  description: 'bot → queued → assigned → resolved → archived.',
});

export const conversationSchema = z.strictObject({
  id: uuid,
  spaceId: uuid,
  senderId: uuid,
  contact: z.strictObject({
    id: uuid,
    channel: z.string(),
    address: z.string(),
    profileName: z.string().nullable(),
  }),
  roomId: z.string().nullable().meta({ description: 'The Matrix room of the conversation.' }),
  state: z.string().meta({ description: 'bot, queued, assigned, resolved or archived.' }),
  assignedAgentId: uuid.nullable(),
  previousConversationId: uuid.nullable(),
  createdAt: timestamp,
  lastActivityAt: timestamp,
  archivedAt: timestamp.nullable(),
});

const listQuery = z.strictObject({
  state: state.optional().meta({ description: 'Only conversations in this state.' }),
  limit: z.coerce
    .number({ error: 'must be a whole number from 1 to 200' })
    .int({ error: 'must be a whole number from 1 to 200' })
    .min(1, { error: 'must be a whole number from 1 to 200' })
    .max(200, { error: 'must be a whole number from 1 to 200' })
    .default(50)
    .meta({ description: 'Page size (default 50).' }),
  before: uuid.optional().meta({ description: 'The `next` cursor of the previous page.' }),
});

const contactSchema = z.strictObject({
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
        setBy: z.string().meta({ description: "'customer', 'bot', or the Matrix ID of who set it." }),
        setAt: timestamp,
      }),
    )
    .meta({
      description: 'What is known about the contact, by key (collected by campaign flows, set by agents).',
    }),
  tags: z.array(z.string()).meta({ description: 'Tags set by agents (none are recorded yet: always []).' }),
  journey: z
    .array(
      z.strictObject({
        type: z.string().meta({
          description:
            'handover, offer, offer-closed, assign, transfer, unassign, resolve, reopen, archive, offline, offline-form, campaign-start, campaign-end, option-chosen, attribute-set, …',
        }),
        actor: z.string().meta({ description: "A Matrix ID, or 'bot', 'customer', 'system'." }),
        conversationId: uuid.nullable(),
        detail: z.record(z.string(), z.unknown()).meta({ description: 'e.g. {from, to} for transitions.' }),
        at: timestamp,
      }),
    )
    .meta({ description: "The contact's event log, oldest first (the latest 500)." }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

function conversationView(row: ConversationRow): z.input<typeof conversationSchema> {
  return {
    id: row.id,
    spaceId: row.spaceId,
    senderId: row.senderId,
    contact: {
      id: row.contactId,
      channel: row.contactChannel,
      address: row.contactAddress,
      profileName: row.contactProfileName,
    },
    roomId: row.roomId,
    state: row.state,
    assignedAgentId: row.assignedAgentId,
    previousConversationId: row.previousConversationId,
    createdAt: row.createdAt.toISOString(),
    lastActivityAt: row.lastActivityAt.toISOString(),
    archivedAt: row.archivedAt ? row.archivedAt.toISOString() : null,
  };
}

export function conversationRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/conversations',
      operationId: 'listConversations',
      tag: 'conversations',
      summary: "List a space's conversations, newest first",
      params: spaceParams,
      query: listQuery,
      status: 200,
      response: z.strictObject({
        conversations: z.array(conversationSchema),
        next: uuid
          .nullable()
          .meta({ description: 'Pass as before= for the next page; null on the last page.' }),
      }),
      responseDescription: 'One page of conversations.',
      errors: [...COMMON_ERRORS, notFound('The space')],
      async handler({ params, query }) {
        await requireSpace(deps, db, params.id);
        let before: { createdAt: Date; id: string } | undefined;
        if (query.before) {
          const cursor = await getConversation(db, params.id, query.before);
          if (!cursor)
            throw errors.badRequest('before: not a conversation of this space', { field: 'before' });
          before = { createdAt: cursor.createdAt, id: cursor.id };
        }
        const rows = await listConversations(db, params.id, {
          state: query.state,
          limit: query.limit + 1,
          before,
        });
        const page = rows.slice(0, query.limit);
        return {
          conversations: page.map(conversationView),
          next: rows.length > query.limit ? page[page.length - 1]!.id : null,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/conversations/{conversationId}',
      operationId: 'getConversation',
      tag: 'conversations',
      summary: 'Get a conversation',
      description: 'The transcript is in its Matrix room (roomId).',
      params: z.strictObject({
        id: uuid.meta({ description: 'The space.' }),
        conversationId: uuid.meta({ description: 'The conversation.' }),
      }),
      status: 200,
      response: conversationSchema,
      responseDescription: 'The conversation.',
      errors: [...COMMON_ERRORS, notFound('The space or the conversation')],
      async handler({ params }) {
        const row = await getConversation(db, params.id, params.conversationId);
        if (!row) throw errors.notFound(`Conversation ${params.conversationId}`);
        return conversationView(row);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/contacts/{id}',
      operationId: 'getContact',
      tag: 'contacts',
      summary: 'Get a contact (an end user on one channel)',
      params: z.strictObject({ id: uuid.meta({ description: 'The contact.' }) }),
      status: 200,
      response: contactSchema,
      responseDescription: 'The contact, its attributes and its journey.',
      errors: [...COMMON_ERRORS, notFound('The contact')],
      async handler({ params }) {
        const row = await getContact(db, params.id);
        if (!row) throw errors.notFound(`Contact ${params.id}`);
        const attributes = await getAttributes(db, row.id);
        const journey = await listJourney(db, row.id);
        return {
          ...row,
          attributes: Object.fromEntries(
            Object.entries(attributes).map(([key, a]) => [key, { ...a, setAt: a.setAt.toISOString() }]),
          ),
          tags: [],
          journey: journey.map((j) => ({
            type: j.type,
            actor: j.actor,
            conversationId: j.conversationId,
            detail: j.detail,
            at: j.at.toISOString(),
          })),
          createdAt: row.createdAt.toISOString(),
          updatedAt: row.updatedAt.toISOString(),
        };
      },
    }),
  ];
}
