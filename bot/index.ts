import type { BridgeContext, BridgeModule } from '../bridge/context.ts';
import { availabilityCommands } from './commands/availability.ts';
import { conversationCommands } from './commands/conversation.ts';
import { CommandDispatcher } from './commands/dispatcher.ts';
import { helpCommand } from './commands/help.ts';
import { CommandSet } from './commands/registry.ts';
import { templateCommand } from './commands/template.ts';
import { createEffectsWorker, type EffectsWorker } from './effects/worker.ts';
import { createInboundHandler } from './inbound/handler.ts';
import { onBotMembership } from './membership.ts';
import { createBotMetrics } from './metrics.ts';
import { createRoutingEventHandler } from './routing/events.ts';
import { Router } from './routing/router.ts';
import { Sweeps, type SweepReport } from './sweeps.ts';

/** What the bot offers the layer above it (provisioning) and tests once started. */
export interface BotApi {
  commands: CommandSet;
  dispatcher: CommandDispatcher;
  /** Offers queued conversations; lifecycle transitions run through its `run`. */
  router: Router;
  /** One sweep now (offer timeouts, long waits, routing, archiving), at the injected clock's time. */
  runSweeps(): Promise<SweepReport>;
  /** Carry out queued effects now rather than at the next poll (after a change made elsewhere). */
  wakeEffects(): void;
}

export interface BotModule extends BridgeModule {
  readonly api: BotApi;
}

/**
 * The conversation brain: campaigns answer customers, handover puts them in the queue, routing
 * offers them to agents with capacity, and the lifecycle takes each conversation from the bot to
 * archived; bot commands steer it all from Matrix.
 */
export function createBotModule(): BotModule {
  let api: BotApi | undefined;
  let effects: EffectsWorker | undefined;
  let sweeps: Sweeps | undefined;
  return {
    name: 'bot',
    migrations: new URL('./store/migrations/', import.meta.url),
    get api(): BotApi {
      if (!api) throw new Error('the bot module has not started');
      return api;
    },
    async start(context: BridgeContext) {
      const { db, matrix, config, clock, messaging, providers } = context;
      const prefix = config.bot.commandPrefix;
      const metrics = createBotMetrics(context.metrics, db, clock);
      const worker = createEffectsWorker({ config, db, matrix, messaging, router: () => router });
      effects = worker;
      const router = new Router({
        db,
        clock,
        metrics: metrics.routing,
        observer: metrics.observer,
        wake: () => worker.wake(),
      });

      const commands = new CommandSet();
      commands.add(helpCommand(commands));
      commands.add(templateCommand({ db, messaging, providers }));
      commands.add(...availabilityCommands({ db, router, now: () => clock.now() }));
      commands.add(...conversationCommands({ db, router }));
      const dispatcher = new CommandDispatcher({ db, matrix, commands, prefix });
      context.events.on('bot.membership', (event) => onBotMembership(event, { db, matrix, prefix }));
      context.events.on('bot.commands', (event) => dispatcher.onEvent(event));
      context.events.on(
        'bot.routing',
        createRoutingEventHandler({
          db,
          matrix,
          router,
          commandPrefix: prefix,
          firstResponse: metrics.firstResponse,
        }),
      );
      messaging.onInbound(
        createInboundHandler({
          db,
          clock,
          providers,
          observer: metrics.observer,
          handoverKeywords: config.bot.handoverKeywords,
          wake: () => worker.wake(),
        }),
      );
      sweeps = new Sweeps({
        db,
        clock,
        router,
        archiveAfterHours: config.bot.archiveAfterHours,
        intervalSeconds: config.bot.sweepIntervalSeconds,
      });
      worker.start();
      sweeps.start();
      const running = sweeps;
      api = {
        commands,
        dispatcher,
        router,
        runSweeps: () => running.run(),
        wakeEffects: () => worker.wake(),
      };
    },
    async stop() {
      await sweeps?.stop();
      await effects?.stop();
    },
  };
}
