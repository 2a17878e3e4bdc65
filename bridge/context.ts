import type { Application } from 'express';
import type { Config } from '../config/schema.ts';
import type { Registration } from '../config/registration.ts';
import type { MatrixGateway } from './matrix/gateway.ts';
import type { EventRouter } from './matrix/events.ts';
import type { MessagingService } from './messaging/service.ts';
import type { Metrics } from './metrics.ts';
import type { Database } from './store/db.ts';
import type { ProviderRegistry } from './providers/index.ts';

/** Time, injectable so that tests move it instead of sleeping (timeouts, inactivity sweeps). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A check /ready runs; it throws (or rejects) with a short reason when not ready. */
export type ReadinessCheck = () => Promise<void>;

/** What the bridge core gives the layers above it when they start. */
export interface BridgeContext {
  config: Config;
  registration: Registration;
  db: Database;
  matrix: MatrixGateway;
  events: EventRouter;
  metrics: Metrics;
  providers: ProviderRegistry;
  /** Messages both ways: accept (webhooks), lookupSender, onInbound, sendToCustomer, publicRoutes. */
  messaging: MessagingService;
  clock: Clock;
  /** The appservice listener's app, for internal routes (health and metrics live there). */
  appserviceApp: Application;
  addReadinessCheck(name: string, check: ReadinessCheck): void;
}

/**
 * A layer above the bridge core (the bot, provisioning). Layers start in the order given and stop
 * in reverse; each owns its tables through its own numbered migrations.
 */
export interface BridgeModule {
  name: string;
  /** Folder of NNN_name.sql migrations for this layer's tables (component = name). */
  migrations?: URL;
  start(context: BridgeContext): Promise<void>;
  /** Stop taking new work and finish what is in hand. */
  stop?(): Promise<void>;
}
