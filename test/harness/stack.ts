import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/load.ts';
import { generateRegistration, writeRegistration } from '../../config/registration.ts';
import type { Config, ConfigInput } from '../../config/schema.ts';
import { FakePhone } from '../fakes/phone.ts';
import { BridgeProcess } from './bridge-process.ts';
import { CountingProxy } from './counting-proxy.ts';
import { freePort } from './ports.ts';
import { startPostgres, type PostgresInstance } from './postgres.ts';
import {
  ensureSynapse,
  registerUser,
  startSynapse,
  type RegisteredUser,
  type SynapseInstance,
} from './synapse.ts';

/*
 * A whole deployment of its own, for benchmarks and fault tests: an embedded Postgres that can be
 * restarted, a Synapse of its own (SQLite, or a database in that Postgres), the bridge as a child
 * process started by its CLI, the fake phone behind the simulator provider, and an agent account
 * invited into every conversation room. Nothing is shared with the e2e run's homeserver.
 */

const run = promisify(execFile);

export interface StackOptions {
  dir: string;
  /** Where Synapse keeps its data: 'postgres' (production's choice) or 'sqlite'. */
  synapseDatabase?: 'postgres' | 'sqlite';
  /** Put a request-counting proxy between the bridge and Synapse. */
  countRequests?: boolean;
  bridgeLogLevel?: string;
  configure?: (input: ConfigInput) => ConfigInput;
}

export interface StackSender {
  spaceId: string;
  senderId: string;
  secret: string;
}

export interface Stack {
  dir: string;
  postgres: PostgresInstance;
  synapse: SynapseInstance;
  proxy: CountingProxy | undefined;
  phone: FakePhone;
  /** A pool on the bridge's database, for checks and seeding. */
  db: pg.Pool;
  databaseUrl: string;
  config: Config;
  configFile: string;
  /** With countRequests: the config whose homeserver URL is the counting proxy. */
  countedConfigFile: string | undefined;
  registrationFile: string;
  asToken: string;
  bridge: BridgeProcess;
  agent: RegisteredUser;
  provisioningUrl: string;
  /** A call to the provisioning API with the bearer token; throws on a non-2xx answer. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  /** Invites the agent into a room as the bridge's bot (the appservice's token) and joins it. */
  addAgent(roomId: string): Promise<void>;
  /** A space with one simulator SMS sender, created through the provisioning API. */
  createSender(name: string, address: string, mode?: 'chatbot' | 'livechat'): Promise<StackSender>;
  synapsePid(): Promise<number>;
  stop(): Promise<void>;
}

/** matrix-synapse[postgres]: the driver is an optional extra of the cached venv. */
async function ensurePostgresDriver(python: string): Promise<void> {
  try {
    await run(python, ['-c', 'import psycopg2']);
  } catch {
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', 'psycopg2-binary'], {
      timeout: 10 * 60_000,
    });
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  // As root, Postgres runs as a "postgres" system user that must be able to enter the directory.
  await chmod(dir, 0o755);
  const stops: (() => Promise<unknown>)[] = [];
  const undo = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const python = await ensureSynapse();
    const postgres = await startPostgres({ kind: 'embedded', dir: join(dir, 'postgres') });
    stops.push(() => postgres.stop());
    const databaseUrl = await postgres.createDatabase('livechat');
    const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    // Idle connections die when a fault test restarts Postgres; the next query opens a new one.
    db.on('error', () => {});
    stops.push(() => db.end());

    let database: Record<string, unknown> | undefined;
    if ((options.synapseDatabase ?? 'postgres') === 'postgres') {
      await ensurePostgresDriver(python);
      const url = new URL(await postgres.createDatabase('synapse'));
      database = {
        name: 'psycopg2',
        args: {
          user: url.username,
          password: url.password,
          host: url.hostname,
          port: Number(url.port),
          database: url.pathname.slice(1),
          cp_min: 5,
          cp_max: 10,
        },
      };
    }

    const phone = await FakePhone.start();
    stops.push(() => phone.stop());
    const synapsePort = await freePort();
    const appservicePort = await freePort();
    const provisioningPort = await freePort();
    const synapseUrl = `http://127.0.0.1:${synapsePort}`;
    const proxy = options.countRequests ? await CountingProxy.start(synapseUrl) : undefined;
    if (proxy) stops.push(() => proxy.stop());
    const publicUrl = `http://127.0.0.1:${provisioningPort}`;
    const token = randomBytes(16).toString('hex');
    const agentLocalpart = 'agent';
    let input: ConfigInput = {
      homeserver: { url: synapseUrl, domain: 'localhost' },
      appservice: { id: 'livechat-stack', port: appservicePort, bindAddress: '127.0.0.1' },
      bot: { localpart: 'livechat' },
      ghosts: { prefix: '_livechat_' },
      provisioning: { port: provisioningPort, token },
      publicUrl,
      database: { url: databaseUrl },
      providers: { timeoutSeconds: 5, simulator: { baseUrl: phone.url } },
      logging: { level: (options.bridgeLogLevel ?? 'warn') as NonNullable<ConfigInput['logging']>['level'] },
    };
    if (options.configure) input = options.configure(input);
    const config = parseConfig(input, 'stack config');
    const configFile = join(dir, 'config.yaml');
    await writeFile(configFile, stringify(input));
    // The same bridge with the homeserver behind the counting proxy (bridge.useConfig to switch).
    const countedConfigFile = proxy ? join(dir, 'config-counted.yaml') : undefined;
    if (proxy && countedConfigFile)
      await writeFile(
        countedConfigFile,
        stringify({ ...input, homeserver: { ...input.homeserver, url: proxy.url } }),
      );
    const registrationFile = join(dir, 'registration.yaml');
    const registration = generateRegistration(config, `http://127.0.0.1:${appservicePort}`);
    await writeRegistration(registrationFile, registration);

    const synapse = await startSynapse({
      dir: join(dir, 'synapse'),
      port: synapsePort,
      registrationFiles: [registrationFile],
      ...(database ? { database } : {}),
    });
    stops.push(() => synapse.stop());
    const agent = await registerUser(synapse, { localpart: agentLocalpart });
    phone.setWebhookBase(publicUrl);

    const bridge = new BridgeProcess({
      configFile,
      registrationFile,
      logFile: join(dir, 'bridge.log'),
      appserviceUrl: `http://127.0.0.1:${appservicePort}`,
    });
    stops.push(() => bridge.stop());

    const provisioningUrl = `${publicUrl}/_matrix/provision/v1`;
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${provisioningUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    };

    return {
      dir,
      postgres,
      synapse,
      proxy,
      phone,
      db,
      databaseUrl,
      config,
      configFile,
      countedConfigFile,
      registrationFile,
      asToken: registration.as_token,
      bridge,
      agent,
      provisioningUrl,
      api,
      async addAgent(roomId) {
        const room = encodeURIComponent(roomId);
        const bot = encodeURIComponent(`@${config.bot.localpart}:${config.homeserver.domain}`);
        const invite = await fetch(`${synapseUrl}/_matrix/client/v3/rooms/${room}/invite?user_id=${bot}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${registration.as_token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: agent.userId }),
        });
        // 403 "already in the room" on a second call is fine: the join below decides.
        await invite.arrayBuffer();
        const join = await fetch(`${synapseUrl}/_matrix/client/v3/join/${room}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agent.accessToken}`, 'content-type': 'application/json' },
          body: '{}',
        });
        if (!join.ok)
          throw new Error(`the agent could not join ${roomId}: ${join.status} ${await join.text()}`);
      },
      async createSender(name, address, mode = 'chatbot') {
        const space = await api<{ id: string }>('POST', '/spaces', { name, seats: 5 });
        const secret = randomBytes(16).toString('hex');
        const sender = await api<{ id: string }>('POST', `/spaces/${space.id}/senders`, {
          channel: 'sms',
          address,
          provider: 'simulator',
          mode,
          bidirectional: true,
          credentials: { secret },
        });
        phone.addSender(sender.id, secret);
        return { spaceId: space.id, senderId: sender.id, secret };
      },
      async synapsePid() {
        // Synapse writes its pid file only when it daemonizes: find it by its config path.
        const config = join(synapse.dir, 'homeserver.yaml');
        for (const entry of await readdir('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
          if (cmdline.includes('synapse.app.homeserver') && cmdline.includes(config)) return Number(entry);
        }
        throw new Error('the Synapse process is not running');
      },
      stop: undo,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
