import { createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import { synapseVersion } from '../../dev/synapse/install.ts';

/*
 * LIVECHAT_TEST_DOCKER=1: Synapse from the matrixdotorg/synapse image instead of the venv (not
 * exercised on machines without a Docker engine). The container uses the host network so that it
 * listens on 127.0.0.1:port like the venv Synapse and reaches the bridges on 127.0.0.1 at the
 * registration URLs; its directories are bind-mounted at the same paths, so the homeserver.yaml
 * written for the venv works unchanged, and runs as the host user so the files stay ours.
 */

export interface ContainerRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Why the container is not running (undefined while it runs). */
  dead(): Promise<string | undefined>;
}

function mountRoots(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  return sorted.filter((p, i) => !sorted.slice(0, i).some((root) => p === root || p.startsWith(`${root}/`)));
}

export function dockerSynapse(options: {
  configFile: string;
  dir: string;
  registrationFiles: string[];
  outFile: string;
}): ContainerRunner {
  let container: StartedTestContainer | undefined;
  return {
    async start() {
      const { GenericContainer } = await import('testcontainers');
      const mounts = mountRoots([options.dir, ...options.registrationFiles.map((f) => dirname(f))]);
      const uid = process.getuid?.() ?? 0;
      const gid = process.getgid?.() ?? 0;
      container = await new GenericContainer(`matrixdotorg/synapse:v${synapseVersion()}`)
        .withNetworkMode('host')
        .withUser(`${uid}:${gid}`)
        .withEntrypoint(['python', '-m', 'synapse.app.homeserver'])
        .withCommand(['--config-path', options.configFile])
        .withEnvironment({ PYTHONUNBUFFERED: '1' })
        .withBindMounts(mounts.map((m) => ({ source: m, target: m, mode: 'rw' as const })))
        .withLogConsumer((stream) => stream.pipe(createWriteStream(options.outFile, { flags: 'a' })))
        .start();
    },
    async stop() {
      const current = container;
      container = undefined;
      // The SQLite database lives in the bind-mounted dir, so a new container later has the same data.
      if (current) await current.stop({ timeout: 10_000 });
    },
    async dead() {
      if (!container) return 'not started';
      try {
        const { getContainerRuntimeClient } = await import('testcontainers');
        const client = await getContainerRuntimeClient();
        const { State } = await client.container.inspect(client.container.getById(container.getId()));
        return State.Running ? undefined : `exit code ${State.ExitCode}`;
      } catch (err) {
        return (err as Error).message;
      }
    },
  };
}
