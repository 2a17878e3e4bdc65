import type { Config } from '../config/schema.ts';
import { assertRegistrationMatches, type Registration } from '../config/registration.ts';
import {
  systemClock,
  type BridgeContext,
  type BridgeModule,
  type Clock,
  type ReadinessCheck,
} from './context.ts';
import { mountHealth } from './health.ts';
import { configureLogging, errorInfo, logger } from './log.ts';
import { DurableAppService } from './matrix/appservice.ts';
import { ensureBotProfile } from './matrix/bot-profile.ts';
import { EventCatchUp } from './matrix/catch-up.ts';
import { EventRouter, createEventQueue } from './matrix/events.ts';
import { MatrixGateway, waitForHomeserver } from './matrix/gateway.ts';
import { PingMonitor } from './matrix/ping.ts';
import { Recovery } from './matrix/recovery.ts';
import { MessagingService } from './messaging/service.ts';
import { Metrics } from './metrics.ts';
import { createProviderRegistry } from './providers/index.ts';
import type { Provider } from './providers/types.ts';
import { Database } from './store/db.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './store/embedded.ts';
import { migrate, type MigrationSource } from './store/migrate.ts';

const log = logger('bridge.start');

export interface StartBridgeOptions {
  modules?: BridgeModule[];
  clock?: Clock;
  /** Providers in addition to the built-in ones (a test double, a provider of your own). */
  providers?: Provider[];
  /** Leave logging as the caller set it (tests, the dev stack). */
  keepLogging?: boolean;
}

/** A running bridge. stop() drains work in hand and releases every resource. */
export interface RunningBridge {
  context: BridgeContext;
  botUserId: string;
  /** Where the appservice listener is reachable (health, metrics, transactions). */
  appserviceUrl: string;
  /** Looks for events the homeserver has not delivered (also runs on its own schedule). */
  catchUp: Pick<EventCatchUp, 'sweep'>;
  stop(): Promise<void>;
}

export const CORE_MIGRATIONS: MigrationSource = {
  component: 'bridge',
  dir: new URL('./store/migrations/', import.meta.url),
};

/**
 * Starts the bridge core and the given layers. Fails with one clear error (ConfigError,
 * DatabaseUnavailableError, HomeserverUnavailableError, MigrationError) and releases what it had
 * started when any step fails.
 */
export async function startBridge(
  config: Config,
  registration: Registration,
  options: StartBridgeOptions = {},
): Promise<RunningBridge> {
  if (!options.keepLogging) configureLogging(config.logging);
  assertRegistrationMatches(config, registration);
  const modules = options.modules ?? [];
  const cleanup: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse())
      await step().catch((err) => log.warn(errorInfo(err), 'cleanup step failed'));
  };

  try {
    let url = config.database.url;
    let embedded: EmbeddedDatabase | undefined;
    if (!url) {
      embedded = await startEmbeddedPostgres(config.database.embedded);
      cleanup.push(() => embedded!.stop());
      url = embedded.url;
    }
    const db = new Database(url, config.database.poolSize);
    cleanup.push(() => db.close());
    await db.connect(config.database.url ? 'database.url' : 'database.embedded');
    await migrate(db, [
      CORE_MIGRATIONS,
      ...modules.filter((m) => m.migrations).map((m) => ({ component: m.name, dir: m.migrations! })),
    ]);

    await waitForHomeserver(config.homeserver.url, config.homeserver.startupTimeoutSeconds);
    const matrix = new MatrixGateway(config, registration);
    await matrix.initialise();

    const metrics = new Metrics({ defaults: config.metrics.enabled });
    const transactions = metrics.counter(
      'appservice_transactions_total',
      'Transactions from the homeserver',
      ['outcome'],
    );
    const eventOutcomes = metrics.counter('matrix_events_handled_total', 'Matrix events handled', [
      'outcome',
    ]);
    const router = new EventRouter();
    // Created once the listener is up; the recovery (needed before) reaches it through this.
    const late: { messaging?: MessagingService; catchUp?: EventCatchUp } = {};
    const recovery = new Recovery({
      probeHomeserver: () => waitForHomeserver(config.homeserver.url, 0),
      probeDatabase: () => db.ping(),
      // After an outage Synapse replays what it held; what it may strand at the end is caught up.
      ping: () => matrix.ping().finally(() => late.catchUp?.soon()),
      onHomeserverBack: () => {
        const retry = (what: string, work: Promise<void> | undefined) =>
          work?.catch((err) => log.warn({ what, ...errorInfo(err) }, 'could not resume after the outage'));
        void retry('matrix events', eventQueue.retryNow());
        void retry('inbox', late.messaging?.retryInbound());
      },
    });
    cleanup.push(async () => recovery.stop());
    const eventQueue = createEventQueue(
      db,
      router,
      (outcome) => eventOutcomes.inc({ outcome }),
      (err) => recovery.homeserverFailed(err),
    );
    const appservice = new DurableAppService({
      homeserverToken: registration.hs_token,
      db,
      isOwnUser: (userId) => matrix.isOwnUser(userId),
      onStored: () => eventQueue.wake(),
      onEphemeral: (events) => router.dispatchEphemeral(events),
      onTransactionMetric: (outcome) => {
        transactions.inc({ outcome });
        if (outcome === 'error') recovery.transactionRefused();
      },
    });

    let stopping = false;
    // The listener answers before the layers have started (the homeserver's ping needs it): not
    // ready until every layer, the provisioning listener included, is up.
    let started = false;
    const checks = new Map<string, ReadinessCheck>([
      [
        'startup',
        async () => {
          if (!started) throw new Error('starting');
        },
      ],
      ['database', () => db.ping()],
      ['homeserver', () => waitForHomeserver(config.homeserver.url, 0)],
    ]);
    mountHealth(appservice.expressApp, checks, config.metrics.enabled ? metrics : undefined, () => stopping);
    await matrix.listen(appservice);
    cleanup.push(() => matrix.close());
    await ensureBotProfile(db, matrix, config.bot.avatar);

    const providers = createProviderRegistry(config, options.providers);
    const clock = options.clock ?? systemClock;
    // Registered first, so its event handler runs before the layers' own (bot commands).
    const messaging = new MessagingService({
      config,
      db,
      matrix,
      events: router,
      metrics,
      providers,
      clock,
      onHomeserverError: (err) => recovery.homeserverFailed(err),
    });
    late.messaging = messaging;
    const context: BridgeContext = {
      config,
      registration,
      db,
      matrix,
      events: router,
      metrics,
      providers,
      messaging,
      clock,
      appserviceApp: appservice.expressApp,
      addReadinessCheck: (name, check) => checks.set(name, check),
    };
    for (const module of modules) {
      await module.start(context);
      if (module.stop) cleanup.push(() => module.stop!());
      log.debug({ module: module.name }, 'module started');
    }
    eventQueue.start();
    cleanup.push(() => eventQueue.stop());
    const recoveredEvents = metrics.counter(
      'matrix_events_recovered_total',
      'Matrix events the homeserver had not delivered, found by the catch-up sweep',
    );
    const catchUp = new EventCatchUp({
      db,
      roomMessages: (roomId, from) => matrix.roomMessages(roomId, from),
      isOwnUser: (userId) => matrix.isOwnUser(userId),
      onRecovered: (count) => {
        recoveredEvents.inc(count);
        eventQueue.wake();
      },
    });
    late.catchUp = catchUp;
    catchUp.start();
    cleanup.push(() => catchUp.stop());
    // After the layers started: their inbound handlers are registered before the first message.
    messaging.start();
    cleanup.push(() => messaging.stop());

    const ping = new PingMonitor(matrix);
    checks.set('appservice', () => ping.check());
    await ping.start();
    cleanup.push(async () => ping.stop());
    const appserviceUrl = `http://${config.appservice.bindAddress === '0.0.0.0' ? '127.0.0.1' : config.appservice.bindAddress}:${config.appservice.port}`;
    started = true;
    log.info({ bot: matrix.botUserId, appserviceUrl }, 'bridge started');

    let stopped: Promise<void> | undefined;
    return {
      context,
      botUserId: matrix.botUserId,
      appserviceUrl,
      catchUp,
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          log.info('stopping: draining work in hand');
          await undo();
          log.info('stopped');
        })();
        return stopped;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
