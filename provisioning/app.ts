import type express from 'express';
import type { ApiDeps } from './api/deps.ts';
import { createProvisioningApi } from './api/index.ts';
import { invitationPages } from './invitations/routes.ts';
import { createApp } from './server.ts';
import { createWebhookRouter } from './webhooks.ts';

/**
 * The provisioning listener's app: the API (token), its document (public), the invitation pages,
 * the carrier webhooks (signatures) and the media links carriers fetch agents' files from.
 */
export function buildProvisioningApp(deps: ApiDeps): {
  app: express.Express;
  document(): Record<string, unknown>;
} {
  const provisioning = createProvisioningApi(deps);
  const pages = invitationPages(deps);
  const webhooks = createWebhookRouter({
    publicUrl: deps.config.publicUrl,
    providers: deps.providers,
    lookupSender: (id) => deps.messaging.lookupSender(id),
    accept: async (sender, items) => {
      await deps.messaging.accept(sender, items);
    },
  });
  const app = createApp({
    token: deps.config.provisioning.token,
    api: provisioning.api,
    publicApi: provisioning.publicApi,
    publicRoutes: [webhooks, deps.messaging.publicRoutes, pages],
  });
  return { app, document: provisioning.document };
}
