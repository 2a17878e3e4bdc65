import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { AppServiceRegistration, Bridge, type Intent } from 'matrix-appservice-bridge';
import type { ILogger, LogService as LogServiceType } from 'matrix-bot-sdk';
import type { Config } from '../../config/schema.ts';
import type { Registration } from '../../config/registration.ts';
import { errorInfo, logger, type Log } from '../log.ts';
import type { ClientEvent, DurableAppService } from './appservice.ts';

const log = logger('bridge.matrix');

/** Raised when the homeserver cannot be reached at start-up; the message names the config key. */
export class HomeserverUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HomeserverUnavailableError';
  }
}

/** Waits (up to timeoutSeconds) for the homeserver's client API to answer. */
export async function waitForHomeserver(url: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last: string;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(new URL('/_matrix/client/versions', url), {
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      last = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    }
    if (Date.now() >= deadline) break;
    if (attempt === 0) log.info({ url, reason: last }, 'waiting for the homeserver');
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
  throw new HomeserverUnavailableError(
    `Cannot reach the homeserver at ${url} (homeserver.url): ${last}` +
      (timeoutSeconds > 0 ? ` (waited ${timeoutSeconds}s, homeserver.startupTimeoutSeconds)` : ''),
  );
}

/**
 * The bot SDK keeps its logger in a static of its module. The framework loads its own copy of the
 * SDK (same version, another folder), so the logger is set on that copy: the one doing the work.
 */
function frameworkLogService(): typeof LogServiceType & { setLevel(level: unknown): void } {
  const require = createRequire(createRequire(import.meta.url).resolve('matrix-appservice-bridge'));
  const sdk = require('@vector-im/matrix-bot-sdk') as {
    LogService: typeof LogServiceType;
    LogLevel: { INFO: unknown };
  };
  const service = sdk.LogService as typeof LogServiceType & { setLevel(level: unknown): void };
  service.setLevel(sdk.LogLevel.INFO);
  return service;
}

/**
 * Routes the Matrix SDK's own logging into ours, quieter: it logs every failed request as an error,
 * expected ones included (M_USER_IN_USE on registration); the error itself reaches our code, which
 * decides how loud it is.
 */
function sdkLogger(target: Log): ILogger {
  const fmt = (module: string, parts: unknown[]) => ({
    sdkModule: module,
    detail: parts
      .map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p)))
      .join(' '),
  });
  return {
    trace: (module, ...parts) => target.trace(fmt(module, parts), 'matrix sdk'),
    debug: (module, ...parts) => target.trace(fmt(module, parts), 'matrix sdk'),
    info: (module, ...parts) => target.debug(fmt(module, parts), 'matrix sdk'),
    warn: (module, ...parts) => target.debug(fmt(module, parts), 'matrix sdk'),
    error: (module, ...parts) => target.debug(fmt(module, parts), 'matrix sdk'),
  };
}

/**
 * The Matrix side of the bridge: the appservice framework's Bridge for intents (bot and ghosts),
 * our durable listener for transactions, and the identity rules (which user IDs are ours).
 */
export class MatrixGateway {
  readonly bridge: Bridge;
  readonly botUserId: string;
  readonly domain: string;
  private readonly config: Config;
  private readonly registration: Registration;

  constructor(config: Config, registration: Registration) {
    this.config = config;
    this.registration = registration;
    this.domain = config.homeserver.domain;
    this.botUserId = `@${config.bot.localpart}:${config.homeserver.domain}`;
    const logService = frameworkLogService();
    logService.setLogger(sdkLogger(logger('matrix.sdk')));
    logService.muteModule('Metrics');
    logService.muteModule('MatrixLiteClient');
    this.bridge = new Bridge({
      homeserverUrl: config.homeserver.url,
      domain: config.homeserver.domain,
      registration: AppServiceRegistration.fromObject(registration as never),
      // Events reach the bridge through the durable listener and the event worker, not this callback.
      controller: { onEvent: () => undefined },
      disableStores: true,
      disableContext: true,
      suppressEcho: true,
    });
  }

  async initialise(): Promise<void> {
    await this.bridge.initialise();
  }

  async listen(appservice: DurableAppService): Promise<void> {
    const { port, bindAddress } = this.config.appservice;
    await this.bridge.listen(port, bindAddress, 511, appservice);
  }

  get botIntent(): Intent {
    return this.bridge.getIntent();
  }

  /** An intent acting as the given user (a ghost, or the bot). */
  intent(userId: string): Intent {
    return this.bridge.getIntent(userId);
  }

  ghostUserId(localpartSuffix: string): string {
    return `@${this.config.ghosts.prefix}${localpartSuffix}:${this.domain}`;
  }

  isGhost(userId: string): boolean {
    return userId.startsWith(`@${this.config.ghosts.prefix}`) && userId.endsWith(`:${this.domain}`);
  }

  /** Users this appservice controls: the bot and every ghost. */
  isOwnUser(userId: string): boolean {
    return userId === this.botUserId || this.isGhost(userId);
  }

  /** Registers the bot and sets its display name and avatar when they differ. */
  async ensureBotProfile(avatarMxc: string | undefined): Promise<void> {
    const intent = this.botIntent;
    // Forced: the framework assumes the bot exists, but until /register is called the homeserver has
    // no profile for it and setting the display name fails.
    await intent.ensureRegistered(true);
    await intent.ensureProfile(this.config.bot.displayName, avatarMxc);
  }

  /**
   * Asks the homeserver to call us back (appservice ping): proves it can reach the URL in the
   * registration with the right token. Returns the round trip in milliseconds.
   */
  async ping(): Promise<number> {
    const client = this.botIntent.matrixClient;
    const started = Date.now();
    const body = (await client.doRequest(
      'POST',
      `/_matrix/client/v1/appservice/${encodeURIComponent(this.registration.id)}/ping`,
      null,
      { transaction_id: `livechat-ping-${randomUUID()}` },
    )) as { duration_ms?: number };
    return body.duration_ms ?? Date.now() - started;
  }

  /** A page of a room's timeline as the bot sees it, newest first (GET /rooms/{id}/messages, dir=b). */
  async roomMessages(roomId: string, from?: string): Promise<{ chunk: ClientEvent[]; end?: string }> {
    return (await this.botIntent.matrixClient.doRequest(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`,
      { dir: 'b', limit: 100, ...(from ? { from } : {}) },
    )) as { chunk: ClientEvent[]; end?: string };
  }

  async close(): Promise<void> {
    try {
      await this.bridge.close();
    } catch (err) {
      log.debug(errorInfo(err), 'closing the appservice listener');
    }
  }
}
