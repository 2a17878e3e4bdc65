import type express from 'express';
import type { ApiDeps } from './api/deps.ts';
import { createProvisioningApi } from './api/index.ts';
import { invitationPages } from './invitations/routes.ts';
import { createApp } from './server.ts';

/** The provisioning listener's app: the API (token), its document (public) and the invitation pages. */
export function buildProvisioningApp(deps: ApiDeps): {
  app: express.Express;
  document(): Record<string, unknown>;
} {
  const provisioning = createProvisioningApi(deps);
  const pages = invitationPages(deps);
  const app = createApp({
    token: deps.config.provisioning.token,
    api: provisioning.api,
    publicApi: provisioning.publicApi,
    publicRoutes: [pages],
  });
  return { app, document: provisioning.document };
}
