import type { z } from 'zod';
import { effectiveMessages } from '../../bot/spaces/messages.ts';
import { closeConversation, openConversations } from '../../bot/spaces/conversations.ts';
import { closeSpaceRooms, createSpaceRooms, renameSpaceRooms } from '../../bot/spaces/rooms.ts';
import { logger } from '../../bridge/log.ts';
import { errors, onHomeserver } from '../errors.ts';
import {
  countOpenConversations,
  deleteSpace,
  getSpace,
  insertSpace,
  listSpaces,
  setSpaceRooms,
  updateSpace,
  type MessageKey,
  type SpaceChanges,
  type SpaceRow,
} from '../store/spaces.ts';
import { BODY_ERRORS, COMMON_ERRORS, forceQuery, MATRIX_ERROR, notFound, spaceParams } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, type AnyRoute } from './route.ts';
import { createSpaceBody, spaceListSchema, spaceSchema, updateSpaceBody } from './spaces.schemas.ts';

const log = logger('provisioning.spaces');

export function spaceView(row: SpaceRow): z.input<typeof spaceSchema> {
  return {
    id: row.id,
    name: row.name,
    seats: row.seats,
    livechat: { enabled: row.livechatEnabled, offlineForm: row.offlineForm },
    matrix: { spaceRoomId: row.spaceRoomId, controlRoomId: row.controlRoomId },
    routing: {
      policy: row.routingPolicy,
      offerTimeoutSeconds: row.offerTimeoutSeconds,
      maxWaitSeconds: row.maxWaitSeconds,
      maxChatsDefault: row.maxChatsDefault,
    },
    defaultCampaignId: row.defaultCampaignId,
    messages: effectiveMessages(row.messages),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Messages as stored: only the changed ones, null removing an override. */
function mergeMessages(
  stored: Partial<Record<MessageKey, string>>,
  patch: Partial<Record<MessageKey, string | null | undefined>> | undefined,
): Partial<Record<MessageKey, string>> | undefined {
  if (!patch) return undefined;
  const merged: Partial<Record<MessageKey, string>> = { ...stored };
  for (const [key, value] of Object.entries(patch) as [MessageKey, string | null | undefined][]) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** A space or a 404; with lock, the row is locked for the transaction (seats, deletion). */
export async function requireSpace(
  deps: ApiDeps,
  db: Parameters<typeof getSpace>[0],
  id: string,
  lock = false,
): Promise<SpaceRow> {
  const space = await getSpace(db, id, deps.clock.now(), { lock });
  if (!space) throw errors.notFound(`Space ${id}`);
  return space;
}

const SPACE_NOT_FOUND = notFound('The space');

export function spaceRoutes(deps: ApiDeps): AnyRoute[] {
  const { db, matrix, clock } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/spaces',
      operationId: 'createSpace',
      tag: 'spaces',
      summary: 'Create a space',
      description:
        'Creates the space, its Matrix space (m.space room) and its control room. If the homeserver fails, nothing is stored and the bot leaves any room it had created.',
      body: createSpaceBody,
      status: 201,
      response: spaceSchema,
      responseDescription: 'The new space.',
      errors: [...COMMON_ERRORS, ...BODY_ERRORS, MATRIX_ERROR],
      async handler({ body }) {
        const id = await db.tx(async (tx) => {
          const spaceId = await insertSpace(tx, {
            name: body.name,
            seatLimit: body.seats,
            livechatEnabled: body.livechat?.enabled ?? true,
            offlineForm: body.livechat?.offlineForm ?? false,
            routingPolicy: body.routing?.policy ?? 'broadcast',
            offerTimeoutSeconds: body.routing?.offerTimeoutSeconds ?? 60,
            maxWaitSeconds: body.routing?.maxWaitSeconds ?? 300,
            maxChatsDefault: body.routing?.maxChatsDefault ?? 5,
            messages: mergeMessages({}, body.messages) ?? {},
          });
          const rooms = await onHomeserver('Creating the Matrix space', () =>
            createSpaceRooms(matrix, body.name),
          );
          await setSpaceRooms(tx, spaceId, rooms);
          return spaceId;
        });
        log.info({ spaceId: id }, 'space created');
        return spaceView(await requireSpace(deps, db, id));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces',
      operationId: 'listSpaces',
      tag: 'spaces',
      summary: 'List spaces',
      status: 200,
      response: spaceListSchema,
      responseDescription: 'Every space, oldest first.',
      errors: COMMON_ERRORS,
      async handler() {
        return { spaces: (await listSpaces(db, clock.now())).map(spaceView) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}',
      operationId: 'getSpace',
      tag: 'spaces',
      summary: 'Get a space',
      params: spaceParams,
      status: 200,
      response: spaceSchema,
      responseDescription: 'The space.',
      errors: [...COMMON_ERRORS, SPACE_NOT_FOUND],
      async handler({ params }) {
        return spaceView(await requireSpace(deps, db, params.id));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/spaces/{id}',
      operationId: 'updateSpace',
      tag: 'spaces',
      summary: 'Change a space',
      description:
        'Only the fields given change. The seat limit cannot go below the seats in use plus those reserved by open invitations (409 LC_SEATS_IN_USE).',
      params: spaceParams,
      body: updateSpaceBody,
      status: 200,
      response: spaceSchema,
      responseDescription: 'The space after the change.',
      errors: [
        ...COMMON_ERRORS,
        ...BODY_ERRORS,
        SPACE_NOT_FOUND,
        {
          status: 409,
          errcode: 'LC_SEATS_IN_USE',
          description:
            'The new limit is below the seats in use and reserved; gives {requested, used, pending}.',
        },
        MATRIX_ERROR,
      ],
      async handler({ params, body }) {
        await db.tx(async (tx) => {
          const space = await requireSpace(deps, tx, params.id, true);
          if (body.seats !== undefined && body.seats < space.seats.used + space.seats.pending) {
            const { used, pending } = space.seats;
            throw errors.conflict(
              'LC_SEATS_IN_USE',
              `Cannot lower the seats to ${body.seats}: ${used} in use by agents and ${pending} reserved by open ` +
                `invitations. Remove agents or revoke invitations first.`,
              { requested: body.seats, used, pending },
            );
          }
          const changes: SpaceChanges = {
            name: body.name,
            seatLimit: body.seats,
            livechatEnabled: body.livechat?.enabled,
            offlineForm: body.livechat?.offlineForm,
            routingPolicy: body.routing?.policy,
            offerTimeoutSeconds: body.routing?.offerTimeoutSeconds,
            maxWaitSeconds: body.routing?.maxWaitSeconds,
            maxChatsDefault: body.routing?.maxChatsDefault,
            messages: mergeMessages(space.messages, body.messages),
          };
          await updateSpace(tx, space.id, changes);
          if (body.name !== undefined && body.name !== space.name) {
            await onHomeserver('Renaming the Matrix rooms', () =>
              renameSpaceRooms(matrix, space, body.name!),
            );
          }
        });
        return spaceView(await requireSpace(deps, db, params.id));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/spaces/{id}',
      operationId: 'deleteSpace',
      tag: 'spaces',
      summary: 'Delete a space',
      description:
        'Refused while conversations are open, unless force=true: then each is closed (a notice in its room, the bot and the customer leave, archived). The members are removed from the space and control room, the bot leaves them, and every row of the space (senders, contacts, conversations, agents, invitations) is deleted. A failure on the homeserver changes no row; repeating the call finishes the work.',
      params: spaceParams,
      query: forceQuery,
      status: 204,
      responseDescription: 'Deleted.',
      errors: [
        ...COMMON_ERRORS,
        SPACE_NOT_FOUND,
        {
          status: 409,
          errcode: 'LC_SPACE_NOT_EMPTY',
          description: 'Conversations are open and force is not true; gives {openConversations}.',
        },
        MATRIX_ERROR,
      ],
      async handler({ params, query }) {
        await db.tx(async (tx) => {
          const space = await requireSpace(deps, tx, params.id, true);
          const open = await countOpenConversations(tx, { spaceId: space.id });
          if (open > 0 && query.force !== 'true') {
            throw errors.conflict(
              'LC_SPACE_NOT_EMPTY',
              `The space has ${open} open conversation(s); resolve them first or delete with ?force=true`,
              { openConversations: open },
            );
          }
          await onHomeserver('Closing the space', async () => {
            for (const conversation of await openConversations(tx, { spaceId: space.id })) {
              await closeConversation(tx, matrix, conversation, `the space ${space.name} was deleted`);
            }
            await closeSpaceRooms(matrix, space, space.name, space.id);
          });
          await deleteSpace(tx, space.id);
        });
        log.info({ spaceId: params.id, force: query.force === 'true' }, 'space deleted');
        return undefined;
      },
    }),
  ];
}
