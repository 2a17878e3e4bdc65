import type { Config } from './config/schema.ts';
import type { Registration } from './config/registration.ts';
import type { Clock } from './bridge/context.ts';
import type { Provider } from './bridge/providers/types.ts';
import { startBridge, type RunningBridge as RunningCore } from './bridge/start.ts';
import { createBotModule, type BotApi } from './bot/index.ts';
import { createProvisioningModule } from './provisioning/index.ts';

export type { Config } from './config/schema.ts';
export type { Registration } from './config/registration.ts';
export type { BotApi } from './bot/index.ts';

/** The running product: the core's handle plus the bot's API (sweeps, routing) for tools and tests. */
export interface RunningBridge extends RunningCore {
  bot: BotApi;
}

export interface StartOptions {
  /** Injectable time for timeouts and inactivity sweeps. */
  clock?: Clock;
  /** Providers in addition to the built-in ones. */
  providers?: Provider[];
  /** Keep the caller's logging set-up instead of applying config.logging. */
  keepLogging?: boolean;
}

/**
 * Starts the whole product: the bridge core, the bot and provisioning. The CLI, the dev stack and
 * the end-to-end tests all start it this way.
 */
export async function start(
  config: Config,
  registration: Registration,
  options: StartOptions = {},
): Promise<RunningBridge> {
  const bot = createBotModule();
  const provisioning = createProvisioningModule({ bot });
  const core = await startBridge(config, registration, { ...options, modules: [bot, provisioning] });
  return Object.assign(core, { bot: bot.api });
}
