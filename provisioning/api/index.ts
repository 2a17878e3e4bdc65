import { existsSync, readFileSync } from 'node:fs';
import { Router } from 'express';
import { z } from 'zod';
import { agentRoutes } from './agents.ts';
import { campaignRoutes } from './campaigns.ts';
import { conversationRoutes } from './conversations.ts';
import type { ApiDeps } from './deps.ts';
import { invitationRoutes } from './invitations.ts';
import { openApiDocument } from './openapi.ts';
import { defineRoute, mountRoutes, type AnyRoute } from './route.ts';
import { seatRoutes } from './seats.ts';
import { senderRoutes } from './senders.ts';
import { spaceRoutes } from './spaces.ts';

export type { ApiDeps } from './deps.ts';

/** The package's version, from source (../../) or from the compiled dist/ (../../../). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    const file = new URL(up, import.meta.url);
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'matrix-appservice-livechat' && pkg.version) return pkg.version;
  }
  return '0.0.0';
}

const VERSION = packageVersion();

const statusSchema = z.strictObject({
  bot: z.string().meta({ description: "The bot's Matrix ID." }),
  homeserver: z.string().meta({ description: 'The server name of the homeserver.' }),
});

function statusRoute(deps: ApiDeps): AnyRoute {
  return defineRoute({
    method: 'get',
    path: '/status',
    operationId: 'getStatus',
    tag: 'meta',
    summary: 'Check the token and which bridge answers',
    status: 200,
    response: statusSchema,
    responseDescription: 'The bot and homeserver of this bridge.',
    errors: [
      { status: 401, errcode: 'LC_UNAUTHORIZED', description: 'No bearer token.' },
      { status: 403, errcode: 'LC_FORBIDDEN', description: 'Wrong bearer token.' },
    ],
    handler: async () => ({ bot: deps.matrix.botUserId, homeserver: deps.config.homeserver.domain }),
  });
}

/** Every route of the provisioning API, behind the token. */
export function apiRoutes(deps: ApiDeps): AnyRoute[] {
  return [
    statusRoute(deps),
    ...spaceRoutes(deps),
    ...seatRoutes(deps),
    ...senderRoutes(deps),
    ...campaignRoutes(deps),
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
