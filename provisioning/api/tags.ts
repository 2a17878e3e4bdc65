import { z } from 'zod';
import { refreshContactCards } from '../../bot/contacts/profile.ts';
import {
  createSpaceTag,
  deleteSpaceTag,
  newTagName,
  spaceTags,
  TagError,
  tagName,
  type SpaceTag,
} from '../../bot/contacts/tags.ts';
import { recordJourney } from '../../bot/journey/store.ts';
import { errors } from '../errors.ts';
import { BODY_ERRORS, COMMON_ERRORS, notFound, spaceParams } from './common.ts';
import { createTagBody, tagParams, tagSchema } from './contacts.schemas.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, type AnyRoute } from './route.ts';
import { requireSpace } from './spaces.ts';

function tagView(tag: SpaceTag): z.input<typeof tagSchema> {
  return { ...tag, createdAt: tag.createdAt.toISOString() };
}

/** The space's tag vocabulary: agents tag contacts with these (`tag <name>`), admins keep the list. */
export function tagRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/tags',
      operationId: 'listTags',
      tag: 'tags',
      summary: "List a space's tags",
      params: spaceParams,
      status: 200,
      response: z.strictObject({ tags: z.array(tagSchema) }),
      responseDescription: 'The tags, by name, with how many contacts have each.',
      errors: [...COMMON_ERRORS, notFound('The space')],
      async handler({ params }) {
        await requireSpace(deps, db, params.id);
        return { tags: (await spaceTags(db, params.id)).map(tagView) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/spaces/{id}/tags',
      operationId: 'createTag',
      tag: 'tags',
      summary: 'Create a tag agents can put on contacts',
      params: spaceParams,
      body: createTagBody,
      status: 201,
      response: tagSchema,
      responseDescription: 'The new tag.',
      errors: [
        ...COMMON_ERRORS,
        ...BODY_ERRORS,
        notFound('The space'),
        { status: 409, errcode: 'LC_TAG_EXISTS', description: 'The space has a tag with this name already.' },
      ],
      async handler({ params, body }) {
        let name: string;
        try {
          name = newTagName(body.name);
        } catch (err) {
          if (err instanceof TagError) throw errors.badRequest(`name: ${err.message}`, { field: 'name' });
          throw err;
        }
        await db.tx(async (tx) => {
          await requireSpace(deps, tx, params.id, true);
          const created = await createSpaceTag(tx, {
            spaceId: params.id,
            name,
            description: body.description || null,
            by: 'api',
            at: deps.clock.now(),
          });
          if (!created) throw errors.conflict('LC_TAG_EXISTS', `The tag ${name} exists already`);
        });
        const tag = (await spaceTags(db, params.id)).find((t) => t.name === name)!;
        return tagView(tag);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/spaces/{id}/tags/{name}',
      operationId: 'deleteTag',
      tag: 'tags',
      summary: 'Delete a tag',
      description:
        'It is taken off every contact of the space that has it (recorded in their journeys, actor api).',
      params: tagParams,
      status: 204,
      responseDescription: 'Deleted.',
      errors: [...COMMON_ERRORS, notFound('The space or the tag')],
      async handler({ params }) {
        let name: string;
        try {
          name = tagName(params.name);
        } catch {
          throw errors.notFound(`Tag ${params.name}`);
        }
        await db.tx(async (tx) => {
          await requireSpace(deps, tx, params.id, true);
          const contacts = await deleteSpaceTag(tx, params.id, name);
          if (!contacts) throw errors.notFound(`Tag ${name}`);
          const at = deps.clock.now();
          for (const contactId of contacts) {
            await recordJourney(tx, {
              contactId,
              conversationId: null,
              type: 'untag',
              actor: 'api',
              detail: { tag: name, reason: 'tag deleted' },
              at,
            });
            await refreshContactCards(tx, contactId);
          }
        });
        deps.wakeEffects();
        return undefined;
      },
    }),
  ];
}
