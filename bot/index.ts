import type { BridgeContext, BridgeModule } from '../bridge/context.ts';
import { CommandDispatcher } from './commands/dispatcher.ts';
import { helpCommand } from './commands/help.ts';
import { CommandSet } from './commands/registry.ts';
import { onBotMembership } from './membership.ts';
import { templateCommand } from './commands/template.ts';

/** What the bot offers the layer above it (provisioning) once started. */
export interface BotApi {
  commands: CommandSet;
  dispatcher: CommandDispatcher;
}

export interface BotModule extends BridgeModule {
  readonly api: BotApi;
}

/** The conversation brain: bot commands now; flows, routing and lifecycle build on it. */
export function createBotModule(): BotModule {
  let api: BotApi | undefined;
  return {
    name: 'bot',
    migrations: new URL('./store/migrations/', import.meta.url),
    get api(): BotApi {
      if (!api) throw new Error('the bot module has not started');
      return api;
    },
    async start(context: BridgeContext) {
      const { db, matrix, config } = context;
      const prefix = config.bot.commandPrefix;
      const commands = new CommandSet();
      commands.add(helpCommand(commands));
      commands.add(templateCommand({ db, messaging: context.messaging, providers: context.providers }));
      const dispatcher = new CommandDispatcher({ db, matrix, commands, prefix });
      context.events.on('bot.membership', (event) => onBotMembership(event, { db, matrix, prefix }));
      context.events.on('bot.commands', (event) => dispatcher.onEvent(event));
      api = { commands, dispatcher };
    },
  };
}
