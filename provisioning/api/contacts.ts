import type { z } from 'zod';
import {
  addTag,
  applyAttribute,
  checkAttribute,
  checkTag,
  contactProfile,
  removeTag,
  type ContactProfile,
} from '../../bot/contacts/profile.ts';
import { TagError, tagName } from '../../bot/contacts/tags.ts';
import { AttributeError } from '../../bot/contacts/values.ts';
import { getContact } from '../../bridge/store/contacts.ts';
import { errors } from '../errors.ts';
import { getContact as getContactRow } from '../store/conversations.ts';
import { BODY_ERRORS, COMMON_ERRORS, notFound } from './common.ts';
import { contactParams, contactSchema, updateContactBody } from './contacts.schemas.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, type AnyRoute } from './route.ts';

async function contactView(deps: ApiDeps, id: string): Promise<z.input<typeof contactSchema>> {
  const row = await getContactRow(deps.db, id);
  const profile: ContactProfile | undefined = row && (await contactProfile(deps.db, id));
  if (!row || !profile) throw errors.notFound(`Contact ${id}`);
  return {
    ...row,
    attributes: Object.fromEntries(
      Object.entries(profile.attributes).map(([key, a]) => [key, { ...a, setAt: a.setAt.toISOString() }]),
    ),
    tags: profile.tags.map((t) => t.name),
    notes: profile.notes.map((n) => ({
      id: n.id,
      text: n.text,
      author: n.author,
      conversationId: n.conversationId,
      createdAt: n.createdAt.toISOString(),
    })),
    journey: profile.journey.map((j) => ({
      type: j.type,
      actor: j.actor,
      conversationId: j.conversationId,
      detail: j.detail,
      at: j.at.toISOString(),
    })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const bad = (field: string, message: string) => errors.badRequest(`${field}: ${message}`, { field });

export function contactRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/contacts/{id}',
      operationId: 'getContact',
      tag: 'contacts',
      summary: 'Get a contact (an end user on one channel) with its profile',
      params: contactParams,
      status: 200,
      response: contactSchema,
      responseDescription: 'The contact, its attributes, tags, notes and journey.',
      errors: [...COMMON_ERRORS, notFound('The contact')],
      handler: async ({ params }) => contactView(deps, params.id),
    }),
    defineRoute({
      method: 'patch',
      path: '/contacts/{id}',
      operationId: 'updateContact',
      tag: 'contacts',
      summary: "Change a contact's attributes and tags",
      description:
        "Everything is checked first (attribute values by type, tags against the space's list) and applied in one transaction, or nothing is. Each change is recorded in the journey with the actor api, and the contact card of the contact's open rooms follows.",
      params: contactParams,
      body: updateContactBody,
      status: 200,
      response: contactSchema,
      responseDescription: 'The contact after the change.',
      errors: [...COMMON_ERRORS, ...BODY_ERRORS, notFound('The contact')],
      async handler({ params, body }) {
        await db.tx(async (tx) => {
          await tx.query('SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE', [params.id]);
          const contact = await getContact(tx, params.id);
          if (!contact) throw errors.notFound(`Contact ${params.id}`);
          const attributes = [];
          for (const [key, raw] of Object.entries(body.attributes ?? {})) {
            try {
              attributes.push(await checkAttribute(tx, contact, key, raw === null ? null : String(raw)));
            } catch (err) {
              if (err instanceof AttributeError) throw bad(`attributes.${key}`, err.message);
              throw err;
            }
          }
          const add: string[] = [];
          for (const [i, raw] of (body.tags?.add ?? []).entries()) {
            try {
              add.push(await checkTag(tx, contact.spaceId, raw));
            } catch (err) {
              if (err instanceof TagError) throw bad(`tags.add[${i}]`, err.message);
              throw err;
            }
          }
          const remove: string[] = [];
          for (const [i, raw] of (body.tags?.remove ?? []).entries()) {
            try {
              const name = tagName(raw);
              if (add.includes(name)) throw new TagError(`"${name}" is also in tags.add`);
              remove.push(name);
            } catch (err) {
              if (err instanceof TagError) throw bad(`tags.remove[${i}]`, err.message);
              throw err;
            }
          }
          const change = { actor: 'api', at: deps.clock.now(), conversationId: null };
          for (const checked of attributes) await applyAttribute(tx, contact, checked, change);
          for (const name of add) await addTag(tx, contact, name, 'api', change);
          for (const name of remove) await removeTag(tx, contact, name, change);
        });
        deps.wakeEffects();
        return contactView(deps, params.id);
      },
    }),
  ];
}
