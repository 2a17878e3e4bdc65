import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { registrationToYaml } from '../../config/registration.ts';
import { createTestEnv, type TestEnv } from '../harness/env.ts';

const CLI = new URL('../../cli.ts', import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  options: { until?: (out: string) => boolean; signal?: NodeJS.Signals } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const check = () => {
      if (!signalled && options.until?.(stdout + stderr)) {
        signalled = true;
        child.kill(options.signal ?? 'SIGTERM');
      }
    };
    child.stdout.on('data', (d) => ((stdout += d), check()));
    child.stderr.on('data', (d) => ((stderr += d), check()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not exit in time\n${stdout}\n${stderr}`));
    }, 50_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('livechat-bridge command line', () => {
  let env: TestEnv;
  let dir: string;
  const files = async (config: unknown, registration = env.registration) => {
    const configFile = path.join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    const registrationFile = path.join(dir, `reg-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(configFile, stringify(config));
    await writeFile(registrationFile, registrationToYaml(registration));
    return ['-c', configFile, '-f', registrationFile];
  };

  beforeAll(async () => {
    env = await createTestEnv({ startBridge: false });
    dir = await mkdtemp(path.join(tmpdir(), 'livechat-cli-'));
  });
  afterAll(async () => env?.stop());

  it('explains an unreachable homeserver in one line and exits non-zero', async () => {
    const port = await closedPort();
    const config = {
      ...env.config,
      homeserver: { ...env.config.homeserver, url: `http://127.0.0.1:${port}`, startupTimeoutSeconds: 1 },
    };
    const run = await runCli(await files(config));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `Cannot reach the homeserver at http://127.0.0.1:${port} (homeserver.url): ECONNREFUSED`,
    );
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('explains an unreachable database without showing its password', async () => {
    const port = await closedPort();
    const config = {
      ...env.config,
      database: { ...env.config.database, url: `postgres://livechat:s3cret@127.0.0.1:${port}/livechat` },
    };
    const run = await runCli(await files(config));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `Cannot connect to the database at postgres://livechat:***@127.0.0.1:${port}/livechat (database.url)`,
    );
    expect(run.stderr + run.stdout).not.toContain('s3cret');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses a registration that does not match the configuration', async () => {
    const run = await runCli(
      await files(env.config, { ...env.registration, sender_localpart: 'someone-else' }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /does not match the configuration:\n {2}sender_localpart: is "someone-else" but bot.localpart/,
    );
  });

  it('refuses an invalid configuration the way validate-config explains it', async () => {
    const args = await files({ ...env.config, provisioning: { port: 'x' } });
    const run = await runCli(args);
    const validate = await runCli(['validate-config', ...args.slice(0, 2)]);
    expect(run.code).toBe(2);
    expect(validate.code).toBe(2);
    expect(run.stderr).toMatch(
      /provisioning\.port: must be a number, got string "x"\n {2}provisioning\.token: required/,
    );
    expect(validate.stderr).toBe(run.stderr);
  });

  it('runs against the homeserver and drains on SIGTERM, exiting 0', async () => {
    const args = await files({ ...env.config, logging: { level: 'info', format: 'json' } });
    const run = await runCli(args, { until: (out) => out.includes('"msg":"bridge started"') });
    expect(run.code).toBe(0);
    const lines = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string });
    const messages = lines.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['bridge started', 'shutting down', 'stopped']));
    expect(messages.indexOf('stopped'), JSON.stringify(lines)).toBeGreaterThan(
      messages.indexOf('shutting down'),
    );
    // Tokens never reach the logs.
    expect(run.stdout).not.toContain(env.registration.as_token);
    expect(run.stdout).not.toContain(env.config.provisioning.token);
  });
});
