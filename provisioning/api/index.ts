import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { z } from 'zod';
import { agentRoutes } from './agents.ts';
import { conversationRoutes } from './conversations.ts';
import type { ApiDeps } from './deps.ts';
import { invitationRoutes } from './invitations.ts';
import { openApiDocument } from './openapi.ts';
import { defineRoute, mountRoutes, type AnyRoute } from './route.ts';
import { seatRoutes } from './seats.ts';
import { senderRoutes } from './senders.ts';
import { spaceRoutes } from './spaces.ts';

export type { ApiDeps } from './deps.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Every route of the provisioning API, behind the token. */
export function apiRoutes(deps: ApiDeps): AnyRoute[] {
  return [
    ...spaceRoutes(deps),
    ...seatRoutes(deps),
    ...senderRoutes(deps),
    ...invitationRoutes(deps),
    ...agentRoutes(deps),
    ...conversationRoutes(deps),
  ];
}

export interface ProvisioningApi {
  /** Routes behind the bearer token. */
  api: Router;
  /** Routes under the prefix that need no token (the document itself). */
  publicApi: Router;
  routes: AnyRoute[];
  publicRoutes: AnyRoute[];
  document(): Record<string, unknown>;
}

export function createProvisioningApi(deps: ApiDeps): ProvisioningApi {
  const routes = apiRoutes(deps);
  let cached: Record<string, unknown> | undefined;
  const document = () =>
    (cached ??= openApiDocument({
      routes,
      publicRoutes,
      publicUrl: deps.config.publicUrl,
      providers: deps.providers,
      version: VERSION,
    }));
  // The document describes the API, not a tenant: it is served without the token.
  const publicRoutes: AnyRoute[] = [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApi',
      tag: 'meta',
      summary: 'This OpenAPI 3.1 document (no token needed)',
      status: 200,
      response: z.record(z.string(), z.unknown()),
      responseDescription: 'The document.',
      errors: [],
      handler: async () => document(),
    }),
  ];
  const api = Router();
  mountRoutes(api, routes);
  const publicApi = Router();
  mountRoutes(publicApi, publicRoutes);
  return { api, publicApi, routes, publicRoutes, document };
}
