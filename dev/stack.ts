import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configureLogging, errorInfo, logger } from '../bridge/log.ts';
import { start, type RunningBridge } from '../index.ts';
import { DEFAULT_PORTS, resolvePorts, writeDevConfig, type DevPorts } from './config.ts';
import { startEmailServer, type EmailServer } from './email/server.ts';
import { acquireInstanceLock } from './instance.ts';
import { PhoneSimulator } from './phone/simulator.ts';
import { SecretsFile } from './secrets.ts';
import { bringAgentsOnline } from './availability.ts';
import { apiClient, seed, type Credential, type SeedResult } from './seed.ts';
import { startSynapse, stopOrphan, type SynapseInstance } from './synapse/synapse.ts';

/*
 * The local stack behind `npm run dev`, usable from code as well (a demo, a test):
 *
 *   const stack = await startDevStack({ dir: '.dev' });
 *   stack.urls.phone; stack.credentials; await stack.stop();
 *
 * Synapse (a child process, SQLite, loopback, accounts by shared secret only), the bridge in this
 * process with its embedded Postgres, the phone simulator and the email page. Everything it makes
 * (configuration, registration, secrets, Synapse's data and signing key, the database, the
 * phones' history, the mail) stays in `dir` between runs.
 */

const log = logger('dev.stack');

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_DIR = path.join(REPO_ROOT, '.dev');

export interface DevStackOptions {
  /** Default <repository>/.dev. */
  dir?: string;
  ports?: Partial<DevPorts>;
  /** Default info, pretty. */
  logging?: { level: string; format: 'json' | 'pretty' };
  /** Aborting stops the start-up between steps (what has started is stopped again). */
  signal?: AbortSignal;
}

export interface DevStackUrls {
  /** For Element or any Matrix client. */
  homeserver: string;
  phone: string;
  email: string;
  /** Base of the provisioning API. */
  provisioning: string;
  openapi: string;
  /** The bridge's publicUrl (webhooks, invitation pages). */
  public: string;
  /** The appservice listener: /ready, /live, /metrics. */
  appservice: string;
}

export interface DevStack {
  dir: string;
  urls: DevStackUrls;
  ports: DevPorts;
  provisioningToken: string;
  credentials: Credential[];
  seeded: SeedResult;
  /** Where each kind of data lives. */
  paths: { config: string; registration: string; synapse: string; postgres: string; logs: string };
  bridge: RunningBridge;
  synapse: SynapseInstance;
  phone: PhoneSimulator;
  email: EmailServer;
  /** Stops everything it started (Synapse, Postgres, servers) and releases the directory. */
  stop(): Promise<void>;
}

/** Whether ::1 works here: then Synapse also listens there, as browsers may try it for "localhost". */
function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port: 0, host: '::1', ipv6Only: true }, () => server.close(() => resolve(true)));
  });
}

export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const dir = path.resolve(options.dir ?? DEFAULT_DIR);
  const logging = options.logging ?? { level: 'info', format: 'pretty' as const };
  configureLogging(logging);
  await mkdir(dir, { recursive: true });
  const lock = await acquireInstanceLock(dir);
  const undo: (() => Promise<unknown>)[] = [() => lock.release()];
  const cleanup = async () => {
    for (const step of undo.reverse())
      await step().catch((err: unknown) => log.warn(errorInfo(err), 'a dev stack part did not stop cleanly'));
  };
  const step = () => options.signal?.throwIfAborted();

  try {
    // A run killed without its clean-up (kill -9) left its Synapse holding the port: ours now.
    await stopOrphan(path.join(dir, 'synapse'));
    const ports = await resolvePorts({ ...DEFAULT_PORTS, ...options.ports });
    const secrets = await SecretsFile.load(dir);
    const logs = path.join(dir, 'logs');
    await mkdir(logs, { recursive: true });

    const email = await startEmailServer({
      port: ports.email,
      smtpPort: ports.smtp,
      dir: path.join(dir, 'email'),
    });
    undo.push(() => email.stop());
    const phone = await PhoneSimulator.start({
      port: ports.phone,
      page: true,
      dataDir: path.join(dir, 'phone'),
      webhookBase: `http://127.0.0.1:${ports.public}`,
    });
    undo.push(() => phone.stop());

    const { config, registration, configFile, registrationFile } = await writeDevConfig({
      dir,
      ports,
      secrets: secrets.secrets,
      phoneUrl: phone.url,
      smtp: email.smtp,
      logging,
    });
    step();

    const homeserver = `http://localhost:${ports.synapse}`;
    log.info(`starting Synapse on ${homeserver} (its log: ${path.join(logs, 'synapse.log')})`);
    const synapse = await startSynapse({
      dir: path.join(dir, 'synapse'),
      port: ports.synapse,
      registrationFiles: [registrationFile],
      sharedSecret: secrets.secrets.synapseSharedSecret,
      publicBaseUrl: `${homeserver}/`,
      bindAddresses: (await ipv6Loopback()) ? ['127.0.0.1', '::1'] : ['127.0.0.1'],
      logFile: path.join(logs, 'synapse.log'),
      outFile: path.join(logs, 'synapse.out.log'),
      logLevel: process.env.SYNAPSE_LOG_LEVEL ?? 'INFO',
    });
    undo.push(() => synapse.stop());
    step();

    log.info('starting the bridge with its embedded Postgres');
    const bridge = await start(config, registration, { keepLogging: true });
    undo.push(() => bridge.stop());
    step();

    const publicUrl = config.publicUrl;
    const seeded = await seed({
      publicUrl,
      token: config.provisioning.token,
      secrets,
      phone,
      email,
    });
    const api = apiClient(publicUrl, config.provisioning.token);
    await bringAgentsOnline(
      {
        homeserver,
        botUserId: bridge.botUserId,
        isOnline: async (userId) => {
          const { agents } = await api.get<{ agents: { userId: string; online: boolean }[] }>(
            `/spaces/${seeded.space.id}/agents`,
          );
          return agents.some((a) => a.userId === userId && a.online);
        },
      },
      seeded.accounts,
    );
    step();

    let stopped: Promise<void> | undefined;
    return {
      dir,
      ports,
      urls: {
        homeserver,
        phone: phone.url,
        email: email.url,
        provisioning: `${publicUrl}/_matrix/provision/v1`,
        openapi: `${publicUrl}/_matrix/provision/v1/openapi.json`,
        public: publicUrl,
        appservice: bridge.appserviceUrl,
      },
      provisioningToken: config.provisioning.token,
      credentials: seeded.accounts,
      seeded,
      paths: {
        config: configFile,
        registration: registrationFile,
        synapse: synapse.dir,
        postgres: config.database.embedded.dataDir,
        logs,
      },
      bridge,
      synapse,
      phone,
      email,
      stop() {
        stopped ??= (async () => {
          log.info('stopping the dev stack');
          await cleanup();
          log.info('the dev stack stopped');
        })();
        return stopped;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
