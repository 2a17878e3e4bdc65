import type { z } from 'zod';
import { AddressError, normalizeAddress } from '../../bridge/addresses.ts';
import { closeConversation, openConversations } from '../../bot/spaces/conversations.ts';
import { logger } from '../../bridge/log.ts';
import type { Provider } from '../../bridge/providers/types.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { errors, onHomeserver } from '../errors.ts';
import {
  deleteSender,
  getSender,
  insertSender,
  listSenders,
  sendersWithAddress,
  updateSender,
  type SenderRow,
} from '../store/senders.ts';
import { countOpenConversations } from '../store/spaces.ts';
import { BODY_ERRORS, COMMON_ERRORS, forceQuery, MATRIX_ERROR, notFound, spaceParams } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, validationError, type AnyRoute } from './route.ts';
import {
  createSenderBody,
  senderListSchema,
  senderParams,
  senderSchema,
  updateSenderBody,
} from './senders.schemas.ts';
import { requireSpace } from './spaces.ts';

const log = logger('provisioning.senders');

export function senderView(deps: ApiDeps, row: SenderRow): z.input<typeof senderSchema> {
  const base = deps.config.publicUrl.replace(/\/+$/, '');
  let path = `/webhooks/${row.provider}/${row.id}`;
  if (deps.providers.has(row.provider)) {
    // The path depends on the sender's identity, never on its secrets.
    path = deps.providers.get(row.provider).webhookPath({ ...row, credentials: {} });
  }
  return {
    id: row.id,
    spaceId: row.spaceId,
    channel: row.channel,
    address: row.address,
    addressKind: row.addressKind,
    provider: row.provider,
    mode: row.mode,
    bidirectional: true,
    webhookUrl: `${base}${path}`,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function providerFor(deps: ApiDeps, name: string, channel: 'sms' | 'whatsapp'): Provider {
  if (!deps.providers.has(name)) {
    throw errors.badRequest(
      `provider: unknown provider "${name}"; one of ${deps.providers.names().join(', ')}`,
      {
        field: 'provider',
      },
    );
  }
  const provider = deps.providers.get(name);
  if (!provider.channels.includes(channel)) {
    throw errors.badRequest(
      `provider: ${name} does not carry ${channel} (it carries ${provider.channels.join(', ')})`,
      { field: 'provider' },
    );
  }
  return provider;
}

function validCredentials(provider: Provider, credentials: unknown): Record<string, unknown> {
  const result = provider.credentialsSchema.safeParse(credentials, { reportInput: false });
  if (result.success) return result.data;
  const error = validationError('body', result.error);
  // Prefix the paths with credentials. (the schema sees only that object).
  const issues = (error.details?.issues as { field: string; message: string }[]).map((i) => ({
    field: i.field === 'body' ? 'credentials' : `credentials.${i.field}`,
    message: i.message,
  }));
  throw errors.badRequest(`${issues[0]!.field}: ${issues[0]!.message}`, { field: issues[0]!.field, issues });
}

async function requireSender(db: Queryable, spaceId: string, id: string, lock = false): Promise<SenderRow> {
  const sender = await getSender(db, spaceId, id, { lock });
  if (!sender) throw errors.notFound(`Sender ${id}`);
  return sender;
}

const SENDER_NOT_FOUND = notFound('The space or the sender');

export function senderRoutes(deps: ApiDeps): AnyRoute[] {
  const { db, matrix } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/spaces/{id}/senders',
      operationId: 'createSender',
      tag: 'senders',
      summary: 'Add a sender (business number) to a space',
      description:
        "The address is normalized (E.164; SMS short codes as digits). The provider must carry the channel; credentials are validated with the provider's schema and never returned or logged. A number belongs to one space only, on either channel.",
      params: spaceParams,
      body: createSenderBody,
      status: 201,
      response: senderSchema,
      responseDescription: 'The new sender, with the webhook URL to configure at the provider.',
      errors: [
        ...COMMON_ERRORS,
        ...BODY_ERRORS,
        notFound('The space'),
        {
          status: 409,
          errcode: 'LC_SENDER_EXISTS',
          description:
            'The number is already a sender (this channel anywhere, or the other channel in another space).',
        },
      ],
      async handler({ params, body }) {
        const provider = providerFor(deps, body.provider, body.channel);
        let address;
        try {
          address = normalizeAddress(body.address, body.channel);
        } catch (err) {
          if (err instanceof AddressError)
            throw errors.badRequest(`address: ${err.message}`, { field: 'address' });
          throw err;
        }
        const credentials = validCredentials(provider, body.credentials);
        const id = await db.tx(async (tx) => {
          await requireSpace(deps, tx, params.id, true);
          // Serializes senders of one number across spaces and channels.
          await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sender:${address.address}`]);
          for (const other of await sendersWithAddress(tx, address.address)) {
            if (other.channel === body.channel || other.spaceId !== params.id) {
              throw errors.conflict(
                'LC_SENDER_EXISTS',
                other.channel === body.channel
                  ? `${address.address} is already a ${body.channel} sender${other.spaceId === params.id ? ' of this space' : ' of another space'}`
                  : `${address.address} is a ${other.channel} sender of another space; a number belongs to one space`,
              );
            }
          }
          return insertSender(tx, {
            spaceId: params.id,
            channel: body.channel,
            address: address.address,
            addressKind: address.kind as 'e164' | 'shortcode',
            provider: provider.name,
            mode: body.mode,
            credentials,
          });
        });
        log.info({ senderId: id, spaceId: params.id, provider: provider.name }, 'sender created');
        return senderView(deps, await requireSender(db, params.id, id));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/senders',
      operationId: 'listSenders',
      tag: 'senders',
      summary: "List a space's senders",
      params: spaceParams,
      status: 200,
      response: senderListSchema,
      responseDescription: 'The senders, oldest first.',
      errors: [...COMMON_ERRORS, notFound('The space')],
      async handler({ params }) {
        await requireSpace(deps, db, params.id);
        return { senders: (await listSenders(db, params.id)).map((s) => senderView(deps, s)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/senders/{senderId}',
      operationId: 'getSender',
      tag: 'senders',
      summary: 'Get a sender',
      params: senderParams,
      status: 200,
      response: senderSchema,
      responseDescription: 'The sender.',
      errors: [...COMMON_ERRORS, SENDER_NOT_FOUND],
      async handler({ params }) {
        return senderView(deps, await requireSender(db, params.id, params.senderId));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/spaces/{id}/senders/{senderId}',
      operationId: 'updateSender',
      tag: 'senders',
      summary: "Change a sender's mode or rotate its credentials",
      params: senderParams,
      body: updateSenderBody,
      status: 200,
      response: senderSchema,
      responseDescription: 'The sender after the change.',
      errors: [...COMMON_ERRORS, ...BODY_ERRORS, SENDER_NOT_FOUND],
      async handler({ params, body }) {
        await db.tx(async (tx) => {
          const sender = await requireSender(tx, params.id, params.senderId, true);
          let credentials: Record<string, unknown> | undefined;
          if (body.credentials !== undefined) {
            credentials = validCredentials(
              providerFor(deps, sender.provider, sender.channel),
              body.credentials,
            );
          }
          await updateSender(tx, sender.id, { mode: body.mode, credentials });
        });
        if (body.credentials !== undefined)
          log.info({ senderId: params.senderId }, 'sender credentials rotated');
        return senderView(deps, await requireSender(db, params.id, params.senderId));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/spaces/{id}/senders/{senderId}',
      operationId: 'deleteSender',
      tag: 'senders',
      summary: 'Remove a sender',
      description:
        "Refused while the sender's conversations are open, unless force=true: then each is closed (a notice in its room, the bot and the customer leave, archived) before the sender and its conversations are deleted.",
      params: senderParams,
      query: forceQuery,
      status: 204,
      responseDescription: 'Deleted.',
      errors: [
        ...COMMON_ERRORS,
        SENDER_NOT_FOUND,
        {
          status: 409,
          errcode: 'LC_SENDER_NOT_EMPTY',
          description: 'Conversations are open and force is not true; gives {openConversations}.',
        },
        MATRIX_ERROR,
      ],
      async handler({ params, query }) {
        await db.tx(async (tx) => {
          const sender = await requireSender(tx, params.id, params.senderId, true);
          const open = await countOpenConversations(tx, { senderId: sender.id });
          if (open > 0 && query.force !== 'true') {
            throw errors.conflict(
              'LC_SENDER_NOT_EMPTY',
              `The sender has ${open} open conversation(s); resolve them first or delete with ?force=true`,
              { openConversations: open },
            );
          }
          await onHomeserver('Closing the conversations', async () => {
            for (const conversation of await openConversations(tx, { senderId: sender.id })) {
              await closeConversation(tx, matrix, conversation, `the number ${sender.address} was removed`);
            }
          });
          await deleteSender(tx, sender.id);
        });
        log.info({ senderId: params.senderId }, 'sender deleted');
        return undefined;
      },
    }),
  ];
}
