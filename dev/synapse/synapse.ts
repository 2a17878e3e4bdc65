import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { logger } from '../../bridge/log.ts';
import { alive } from '../lock.ts';
import { freePort } from '../ports.ts';
import { killGroup, sleep, spawnLogged, tail, type Spawned } from '../process.ts';
import { homeserverYaml, logConfigYaml } from './config.ts';
import { ensureSynapse } from './install.ts';

export { ensureSynapse } from './install.ts';

const log = logger('dev.synapse');

/** What is needed to talk to a homeserver as a test: serializable, so workers get it from the global setup. */
export interface HomeserverInfo {
  url: string;
  domain: string;
  sharedSecret: string;
}

export interface RegisteredUser {
  userId: string;
  localpart: string;
  password: string;
  accessToken: string;
  deviceId: string;
}

export interface SynapseInstance extends HomeserverInfo {
  port: number;
  dir: string;
  /** Synapse's own log (WARNING and up unless told); stdout/stderr go to `outFile`. */
  logFile: string;
  outFile: string;
  adminUser?: RegisteredUser;
  readonly running: boolean;
  /** Stops the process (whole process group); data stays in `dir`. */
  stop(): Promise<void>;
  /** Starts it again after stop(), same port and data. */
  start(): Promise<void>;
}

/** How the homeserver process runs: the venv's python by default, a container in some test runs. */
export interface SynapseRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Why it is not running (undefined while it runs). */
  dead(): Promise<string | undefined>;
}

export interface RunnerOptions {
  configFile: string;
  dir: string;
  registrationFiles: string[];
  outFile: string;
}

export interface StartSynapseOptions {
  /** Configuration, database, media and signing key live here. */
  dir: string;
  port?: number;
  registrationFiles: string[];
  /** Register an admin user (`adminUser`) once started. */
  createAdmin?: boolean;
  /** Python log level for the log file; env SYNAPSE_LOG_LEVEL, else WARNING. */
  logLevel?: string;
  startTimeoutMs?: number;
  /** registration_shared_secret; random unless given (the dev stack keeps one across runs). */
  sharedSecret?: string;
  /** Where clients reach it (public_baseurl); default http://127.0.0.1:<port>/. */
  publicBaseUrl?: string;
  /** Default ['127.0.0.1']. */
  bindAddresses?: string[];
  /** Synapse's own log; default <dir>/homeserver.log. */
  logFile?: string;
  /** Its stdout and stderr; default <dir>/synapse.out.log. */
  outFile?: string;
  /** Synapse's `database` section; SQLite in `dir` by default. */
  database?: Record<string, unknown>;
  /** Another way to run the process (e.g. a container); default the venv's python. */
  runner?: (options: RunnerOptions) => SynapseRunner;
}

/*
 * The signing key is written here rather than by `synapse.app.homeserver --generate-keys`: that is
 * a second Python start-up (~1.3 s) for 32 random bytes. The format is signedjson's: algorithm,
 * key version, unpadded base64 of the ed25519 seed.
 */
function signingKey(): string {
  const version = randomBytes(3)
    .toString('base64url')
    .replace(/[^a-zA-Z0-9]/g, 'x');
  return `ed25519 a_${version} ${randomBytes(32).toString('base64').replace(/=+$/, '')}\n`;
}

async function waitUntilUp(
  url: string,
  timeoutMs: number,
  logs: string[],
  dead: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = await dead();
    if (why !== undefined) {
      throw new Error(
        `Synapse stopped (${why}) before answering ${url}\n` +
          logs.map((f) => `--- ${f}\n${tail(f)}`).join('\n'),
      );
    }
    try {
      const res = await fetch(`${url}/_matrix/client/versions`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`Synapse did not answer ${url} within ${timeoutMs} ms; logs: ${logs.join(', ')}`);
}

/**
 * A Synapse whose parent was killed (kill -9, a crash) keeps running in its own process group and
 * holds the port and the SQLite database: stop it before starting another on the same directory.
 */
function pidFile(dir: string): string {
  return join(dir, 'synapse.pid');
}

export async function stopOrphan(dir: string): Promise<void> {
  const file = pidFile(dir);
  if (!existsSync(file)) return;
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // Not Linux, or gone: nothing we can safely identify.
  }
  if (!cmdline.includes('synapse')) return;
  log.warn({ pid }, 'stopping a Synapse left running by an earlier process');
  // It leads its own process group (spawned detached): the group goes with it.
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      process.kill(pid, signal);
    }
  };
  kill('SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) kill('SIGKILL');
}

function processRunner(python: string, configFile: string, dir: string, outFile: string): SynapseRunner {
  let proc: Spawned | undefined;
  let exit: string | undefined;
  return {
    async start() {
      exit = undefined;
      const started = spawnLogged(python, ['-m', 'synapse.app.homeserver', '--config-path', configFile], {
        logFile: outFile,
        cwd: dir,
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      });
      proc = started;
      // Synapse writes its pid_file only when it daemonizes: record the pid for stopOrphan.
      if (started.child.pid !== undefined) await writeFile(pidFile(dir), `${started.child.pid}\n`);
      void started.exited.then((code) => {
        if (proc === started) exit = `exit ${code}`;
      });
    },
    async stop() {
      const current = proc;
      proc = undefined;
      if (current) await killGroup(current);
      await rm(pidFile(dir), { force: true });
    },
    async dead() {
      return proc ? exit : 'not started';
    },
  };
}

export async function startSynapse(options: StartSynapseOptions): Promise<SynapseInstance> {
  const python = options.runner ? '' : await ensureSynapse();
  const dir = options.dir;
  await mkdir(join(dir, 'media'), { recursive: true });
  const port = options.port ?? (await freePort());
  const sharedSecret = options.sharedSecret ?? randomBytes(24).toString('hex');
  const logFile = options.logFile ?? join(dir, 'homeserver.log');
  const outFile = options.outFile ?? join(dir, 'synapse.out.log');
  await mkdir(dirname(logFile), { recursive: true });
  await mkdir(dirname(outFile), { recursive: true });
  const configFile = join(dir, 'homeserver.yaml');
  if (!existsSync(join(dir, 'signing.key')))
    await writeFile(join(dir, 'signing.key'), signingKey(), { mode: 0o600 });
  const { registrationFiles } = options;
  await writeFile(
    configFile,
    homeserverYaml({
      dir,
      port,
      serverName: 'localhost',
      sharedSecret,
      registrationFiles,
      publicBaseUrl: options.publicBaseUrl,
      bindAddresses: options.bindAddresses,
      ...(options.database ? { database: options.database } : {}),
    }),
  );
  await writeFile(
    join(dir, 'log.config.yaml'),
    logConfigYaml(logFile, options.logLevel ?? process.env.SYNAPSE_LOG_LEVEL ?? 'WARNING'),
  );
  if (!options.runner) await stopOrphan(dir);

  const url = `http://127.0.0.1:${port}`;
  const runner: SynapseRunner = options.runner
    ? options.runner({ configFile, dir, registrationFiles, outFile })
    : processRunner(python, configFile, dir, outFile);
  let running = false;
  const instance: SynapseInstance = {
    url,
    domain: 'localhost',
    sharedSecret,
    port,
    dir,
    logFile,
    outFile,
    get running() {
      return running;
    },
    async start() {
      if (running) return;
      await runner.start();
      try {
        await waitUntilUp(url, options.startTimeoutMs ?? 120_000, [outFile, logFile], () => runner.dead());
      } catch (err) {
        await runner.stop();
        throw err;
      }
      running = true;
    },
    async stop() {
      running = false;
      await runner.stop();
    },
  };
  await instance.start();
  if (options.createAdmin)
    instance.adminUser = await registerUser(instance, { localpart: 'admin', admin: true });
  return instance;
}

export interface RegisterUserOptions {
  localpart?: string;
  password?: string;
  admin?: boolean;
  displayName?: string;
}

/** Registers a user through the shared-secret admin API (no rate limit, no registration flows). */
export async function registerUser(
  hs: HomeserverInfo,
  options: RegisterUserOptions = {},
): Promise<RegisteredUser> {
  const localpart = options.localpart ?? `user-${randomBytes(5).toString('hex')}`;
  const password = options.password ?? randomBytes(12).toString('hex');
  const admin = options.admin ?? false;
  const endpoint = `${hs.url}/_synapse/admin/v1/register`;
  const nonceRes = await fetch(endpoint);
  if (!nonceRes.ok) throw new Error(`GET ${endpoint}: ${nonceRes.status} ${await nonceRes.text()}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const mac = createHmac('sha1', hs.sharedSecret)
    .update([nonce, localpart, password, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      nonce,
      username: localpart,
      password,
      admin,
      mac,
      displayname: options.displayName,
    }),
  });
  const body = (await res.json()) as {
    user_id?: string;
    access_token?: string;
    device_id?: string;
    error?: string;
  };
  if (!res.ok || !body.user_id || !body.access_token || !body.device_id) {
    throw new Error(`Registering ${localpart} on ${hs.url} failed: ${res.status} ${JSON.stringify(body)}`);
  }
  return {
    userId: body.user_id,
    localpart,
    password,
    accessToken: body.access_token,
    deviceId: body.device_id,
  };
}
