import { join } from 'node:path';
import type { MatrixClient } from 'matrix-js-sdk';
import { expect, inject } from 'vitest';
import { loadRegistration, type Registration } from '../../config/registration.ts';
import type { Config, ConfigInput } from '../../config/schema.ts';
import type { RunningBridge, StartOptions } from '../../index.ts';
import type { HarnessInfo } from './info.ts';
import { startClient, type ClientUser } from './matrix.ts';
import { createDatabase, type PostgresInfo } from './postgres.ts';
import { claimSlot, slotConfig, type Slot } from './slots.ts';
import {
  registerUser,
  startSynapse,
  type HomeserverInfo,
  type RegisteredUser,
  type RegisterUserOptions,
} from './synapse.ts';

export {
  sendText,
  startClient,
  waitForInvite,
  waitForJoin,
  waitForMembership,
  waitForRoomEvent,
  waitUntil,
} from './matrix.ts';
export type { ClientUser, WaitForEventOptions } from './matrix.ts';
export type { RegisteredUser } from './synapse.ts';

export interface TestEnvOptions {
  /** Start the bridge right away (default true); with false, call env.startBridge() later or never. */
  startBridge?: boolean;
  startOptions?: StartOptions;
  /**
   * A Synapse of this test file's own (~2 s to start) instead of the run's shared one. Needed to
   * stop and start the homeserver (fault tests) without disturbing the files running alongside.
   */
  privateHomeserver?: boolean;
  /** Edit the raw config before validation, e.g. to add `smtp`. */
  configure?: (input: ConfigInput) => ConfigInput | void;
}

export interface TestSynapse extends HomeserverInfo {
  /** Only with privateHomeserver: the shared homeserver belongs to every file of the run. */
  stop(): Promise<void>;
  start(): Promise<void>;
  logFile?: string;
  isPrivate: boolean;
}

export interface TestEnv {
  harness: HarnessInfo;
  slot: Slot;
  config: Config;
  registration: Registration;
  synapse: TestSynapse;
  postgres: PostgresInfo;
  databaseUrl: string;
  /** The running bridge, if any. */
  readonly bridge: RunningBridge | undefined;
  startBridge(options?: StartOptions): Promise<RunningBridge>;
  stopBridge(): Promise<void>;
  /** Stop and start again: same slot, same database, same config. */
  restartBridge(options?: StartOptions): Promise<RunningBridge>;
  /** A new user registered with the shared secret (random localpart by default). */
  createUser(localpart?: string, options?: Omit<RegisterUserOptions, 'localpart'>): Promise<RegisteredUser>;
  /** A started matrix-js-sdk client, first sync done; stopped by env.stop(). */
  login(user: ClientUser): Promise<MatrixClient>;
  /** Stops clients, the bridge and a private Synapse; the database and logs stay for inspection. */
  stop(): Promise<void>;
}

function testFile(): string {
  try {
    return expect.getState().testPath ?? `pid ${process.pid}`;
  } catch {
    return `pid ${process.pid}`;
  }
}

export async function createTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  const harness = inject('livechatHarness');
  if (!harness)
    throw new Error('No livechatHarness: run e2e tests through the vitest "e2e" project (its globalSetup).');
  const slot = await claimSlot(harness.runDir, harness.slots, testFile());

  let synapse: TestSynapse;
  if (options.privateHomeserver) {
    if (harness.homeserver.external)
      throw new Error('privateHomeserver is not available with HOMESERVER_URL');
    const own = await startSynapse({
      dir: join(harness.runDir, 'private-synapse', slot.id),
      registrationFiles: [slot.registrationFile],
    });
    synapse = {
      url: own.url,
      domain: own.domain,
      sharedSecret: own.sharedSecret,
      logFile: own.logFile,
      isPrivate: true,
      stop: () => own.stop(),
      start: () => own.start(),
    };
  } else {
    const refuse = (): Promise<void> =>
      Promise.reject(
        new Error(
          'The shared Synapse serves every test file; use createTestEnv({ privateHomeserver: true }) to stop/start one',
        ),
      );
    const { url, domain, sharedSecret, logFile } = harness.homeserver;
    synapse = { url, domain, sharedSecret, logFile, isPrivate: false, stop: refuse, start: refuse };
  }

  const databaseUrl = await createDatabase(harness.postgres.adminUrl, `lc_${harness.runId}_${slot.index}`);
  const config = slotConfig(slot, synapse, { databaseUrl, configure: options.configure });
  const registration = await loadRegistration(slot.registrationFile);
  const clients: MatrixClient[] = [];
  let bridge: RunningBridge | undefined;

  const env: TestEnv = {
    harness,
    slot,
    config,
    registration,
    synapse,
    postgres: harness.postgres,
    databaseUrl,
    get bridge() {
      return bridge;
    },
    async startBridge(startOptions = options.startOptions) {
      if (bridge) throw new Error(`The bridge of ${slot.id} is already running`);
      const { start } = await import('../../index.ts');
      bridge = await start(config, registration, startOptions);
      return bridge;
    },
    async stopBridge() {
      const current = bridge;
      bridge = undefined;
      await current?.stop();
    },
    async restartBridge(startOptions) {
      await env.stopBridge();
      return env.startBridge(startOptions);
    },
    createUser(localpart, userOptions = {}) {
      return registerUser(synapse, { ...userOptions, localpart });
    },
    async login(user) {
      const client = await startClient(synapse.url, user);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients.splice(0)) client.stopClient();
      await env.stopBridge();
      if (synapse.isPrivate) await synapse.stop();
    },
  };
  if (options.startBridge !== false) {
    try {
      await env.startBridge();
    } catch (err) {
      await env.stop();
      throw err;
    }
  }
  return env;
}
