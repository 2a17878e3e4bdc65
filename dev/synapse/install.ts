import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { logger } from '../../bridge/log.ts';
import { withLock } from '../lock.ts';
import { tail } from '../process.ts';

/*
 * Synapse comes from PyPI into a virtualenv cached across runs. Checking the installed version
 * reads the dist-info directory name instead of starting Python, so the common case (already
 * installed) costs a few milliseconds.
 */

const run = promisify(execFile);
const log = logger('dev.synapse.install');

export const DEFAULT_SYNAPSE_VERSION = '1.163.2';

export function cacheDir(): string {
  return process.env.LIVECHAT_CACHE_DIR ?? join(homedir(), '.cache', 'matrix-appservice-livechat');
}

export function synapseVersion(): string {
  return process.env.SYNAPSE_VERSION ?? DEFAULT_SYNAPSE_VERSION;
}

async function installedVersion(venv: string): Promise<string | undefined> {
  try {
    for (const python of await readdir(join(venv, 'lib'))) {
      const site = join(venv, 'lib', python, 'site-packages');
      if (!existsSync(site)) continue;
      for (const entry of await readdir(site)) {
        const match = /^matrix_synapse-(.+)\.dist-info$/.exec(entry);
        if (match) return match[1];
      }
    }
  } catch {
    // No venv yet.
  }
  return undefined;
}

/**
 * Makes sure `${cacheDir}/synapse-venv` holds matrix-synapse at the pinned version (env
 * SYNAPSE_VERSION overrides it) and returns the venv's python. Python comes from env
 * SYNAPSE_PYTHON or `python3`; Synapse needs 3.10 or newer.
 */
export async function ensureSynapse(): Promise<string> {
  const dir = cacheDir();
  const venv = join(dir, 'synapse-venv');
  const python = join(venv, 'bin', 'python');
  const version = synapseVersion();
  if ((await installedVersion(venv)) === version && existsSync(python)) return python;

  await mkdir(dir, { recursive: true });
  return withLock(`${venv}.lock`, async () => {
    // Another run may have installed it while we waited for the lock.
    if ((await installedVersion(venv)) === version && existsSync(python)) return python;
    const logFile = join(dir, 'synapse-install.log');
    const started = Date.now();
    log.info({ venv }, `installing matrix-synapse ${version} from PyPI (once; this takes a few minutes)`);
    try {
      if (!existsSync(python)) {
        await rm(venv, { recursive: true, force: true });
        const system = process.env.SYNAPSE_PYTHON ?? 'python3';
        await run(system, ['-m', 'venv', venv]).catch((err: unknown) => {
          throw Object.assign(
            new Error(
              `${system} -m venv failed: Synapse needs Python 3.10 or newer with its venv module ` +
                `(Debian/Ubuntu: apt-get install python3-venv; or set SYNAPSE_PYTHON). ${(err as Error).message}`,
            ),
            { stdout: (err as { stdout?: string }).stdout, stderr: (err as { stderr?: string }).stderr },
          );
        });
      }
      const pip = await run(
        python,
        ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', `matrix-synapse==${version}`],
        { maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000 },
      );
      await writeFile(logFile, pip.stdout + pip.stderr);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      await writeFile(logFile, `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      throw new Error(
        `Installing matrix-synapse==${version} into ${venv} failed (log: ${logFile}):\n${tail(logFile, 20)}`,
        { cause: err },
      );
    }
    const got = await installedVersion(venv);
    if (got !== version) throw new Error(`pip ran, but ${venv} holds matrix-synapse ${got ?? 'nothing'}`);
    log.info(`installed matrix-synapse ${version} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return python;
  });
}
