import type { Server } from 'node:http';
import type { BridgeContext, BridgeModule } from '../bridge/context.ts';
import { logger } from '../bridge/log.ts';
import type { BotModule, SeatService } from '../bot/index.ts';
import { buildProvisioningApp } from './app.ts';
import { createEmailQueue } from './invitations/email-queue.ts';
import { createSeatService } from './invitations/seat-service.ts';
import { close, listen } from './server.ts';

const log = logger('provisioning');

export interface ProvisioningModule extends BridgeModule {
  /** Seats and invitations for the bot's commands; undefined until the module started. */
  readonly seats: SeatService | undefined;
}

/** The support team's REST API, carrier webhooks and invitation pages, on one listener. */
export function createProvisioningModule(deps: { bot: BotModule }): ProvisioningModule {
  let server: Server | undefined;
  let emails: ReturnType<typeof createEmailQueue> | undefined;
  let seats: SeatService | undefined;
  return {
    name: 'provisioning',
    get seats() {
      return seats;
    },
    migrations: new URL('./store/migrations/', import.meta.url),
    async start(context: BridgeContext) {
      const { config, db, matrix, clock, providers, messaging } = context;
      emails = createEmailQueue({ db, config, clock });
      const { app } = buildProvisioningApp({
        config,
        db,
        matrix,
        providers,
        clock,
        messaging,
        wakeEmails: () => emails?.wake(),
        wakeEffects: () => deps.bot.api.wakeEffects(),
      });
      seats = createSeatService({ db, clock, config, wakeEmails: () => emails?.wake() });
      server = await listen(app, config.provisioning.port, config.provisioning.bindAddress);
      if (config.smtp) emails.start();
      else log.warn('no smtp configured: invitations cannot be sent');
      log.info({ port: config.provisioning.port }, 'provisioning listener started');
    },
    async stop() {
      if (server) await close(server);
      await emails?.stop();
    },
  };
}
