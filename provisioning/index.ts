import type { Server } from 'node:http';
import { Router } from 'express';
import type { BridgeContext, BridgeModule } from '../bridge/context.ts';
import { logger } from '../bridge/log.ts';
import type { BotModule } from '../bot/index.ts';
import { close, createApp, listen } from './server.ts';

const log = logger('provisioning');

/** The support team's REST API, carrier webhooks and invitation pages, on one listener. */
export function createProvisioningModule(_deps: { bot: BotModule }): BridgeModule {
  let server: Server | undefined;
  return {
    name: 'provisioning',
    async start(context: BridgeContext) {
      const { config } = context;
      const api = Router();
      api.get('/status', (_req, res) => {
        res.json({ bot: context.matrix.botUserId, homeserver: config.homeserver.domain });
      });
      const app = createApp({ token: config.provisioning.token, api });
      server = await listen(app, config.provisioning.port, config.provisioning.bindAddress);
      log.info({ port: config.provisioning.port }, 'provisioning listener started');
    },
    async stop() {
      if (server) await close(server);
    },
  };
}
