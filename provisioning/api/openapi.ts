import { z } from 'zod';
import type { ProviderRegistry } from '../../bridge/providers/index.ts';
import { API_PREFIX } from '../server.ts';
import { errorBody } from './common.ts';
import type { AnyRoute, ErrorCase } from './route.ts';

/*
 * The OpenAPI 3.1 document, generated from the routes' own zod schemas (the ones that validate
 * requests): what is documented is what is enforced.
 */

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([name, field]) => {
    const { description, ...fieldSchema } = jsonSchema(field, 'input');
    return {
      name,
      in: location,
      required: location === 'path' || !field.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

function errorResponses(cases: ErrorCase[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCase[]>();
  for (const c of cases) byStatus.set(c.status, [...(byStatus.get(c.status) ?? []), c]);
  const out: Record<string, JsonSchema> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const base = jsonSchema(errorBody, 'output');
    const properties = base.properties as Record<string, JsonSchema>;
    out[String(status)] = {
      description: list.map((c) => `${c.errcode}: ${c.description}`).join('\n\n'),
      content: {
        'application/json': {
          schema: {
            ...base,
            properties: {
              ...properties,
              errcode: { ...properties.errcode, enum: list.map((c) => c.errcode) },
            },
          },
        },
      },
    };
  }
  return out;
}

function operation(route: AnyRoute, isPublic: boolean): JsonSchema {
  const success: JsonSchema = { description: route.responseDescription };
  if (route.response)
    success.content = { 'application/json': { schema: jsonSchema(route.response, 'output') } };
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(isPublic ? { security: [] } : {}),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: { [String(route.status)]: success, ...errorResponses(route.errors) },
  };
}

export function openApiDocument(options: {
  routes: readonly AnyRoute[];
  publicRoutes: readonly AnyRoute[];
  publicUrl: string;
  providers: ProviderRegistry;
  version: string;
}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const add = (route: AnyRoute, isPublic: boolean) => {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation(route, isPublic);
  };
  for (const route of options.routes) add(route, false);
  for (const route of options.publicRoutes) add(route, true);
  const credentials = Object.fromEntries(
    options.providers.names().map((name) => {
      const provider = options.providers.get(name);
      return [
        name,
        { channels: [...provider.channels], credentials: jsonSchema(provider.credentialsSchema, 'input') },
      ];
    }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'matrix-appservice-livechat provisioning API',
      version: options.version,
      description:
        'Spaces (tenants), senders (business numbers), campaigns, seats, agent invitations, agents, conversations and contacts. ' +
        'Every request needs `Authorization: Bearer <provisioning.token>` and every error is `{errcode, error}` with a stable errcode. ' +
        'Bodies are JSON (at most 1 MB).',
    },
    servers: [{ url: `${options.publicUrl.replace(/\/+$/, '')}${API_PREFIX}` }],
    security: [{ bearer: [] }],
    tags: [
      {
        name: 'spaces',
        description: 'Tenants: a Matrix space with a control room, seats and live-chat settings.',
      },
      { name: 'senders', description: 'Business numbers (SMS, WhatsApp) of a space.' },
      { name: 'campaigns', description: 'Chatbot flows on a sender, started by keywords.' },
      { name: 'seats', description: 'The seat counter of a space.' },
      { name: 'invitations', description: 'Emailed invitations that give people a seat.' },
      { name: 'agents', description: 'People with a seat.' },
      { name: 'conversations', description: 'Episodes with contacts (read-only).' },
      { name: 'contacts', description: 'End users (read-only).' },
      { name: 'meta', description: 'This document and a status check.' },
    ],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'provisioning.token' } },
    },
    'x-provider-credentials': credentials,
  };
}
