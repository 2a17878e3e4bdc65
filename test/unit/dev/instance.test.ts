import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortInUseError, resolvePorts, DEFAULT_PORTS } from '../../../dev/config.ts';
import { acquireInstanceLock, StackRunningError } from '../../../dev/instance.ts';
import { freePorts } from '../../../dev/ports.ts';

describe('one dev stack per directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'livechat-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a second holder while the first lives, and frees the directory on release', async () => {
    const lock = await acquireInstanceLock(dir);
    const owner = JSON.parse(await readFile(lock.file, 'utf8')) as { pid: number };
    expect(owner.pid).toBe(process.pid);
    const refused = await acquireInstanceLock(dir).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StackRunningError);
    expect((refused as Error).message).toContain(`already running on ${dir} (pid ${process.pid})`);
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
    await (await acquireInstanceLock(dir)).release();
  });

  it('takes over the file of a process that is gone', async () => {
    // A pid that existed and exited: its child status is collected, so nothing has it now.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(path.join(dir, 'dev.pid'), JSON.stringify({ pid: gone }));
    const lock = await acquireInstanceLock(dir);
    expect(JSON.parse(await readFile(lock.file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a pid that now belongs to a process started later (pid reuse after a crash)', async () => {
    await writeFile(path.join(dir, 'dev.pid'), JSON.stringify({ pid: process.pid, started: '1' }));
    const lock = await acquireInstanceLock(dir);
    await lock.release();
  });

  it('takes over a half-written file', async () => {
    await writeFile(path.join(dir, 'dev.pid'), '{"pi');
    const lock = await acquireInstanceLock(dir);
    await lock.release();
  });
});

describe('dev stack ports', () => {
  let busy: Server;
  let port: number;
  beforeEach(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as { port: number }).port;
  });
  afterEach(async () => {
    await new Promise((resolve) => busy.close(resolve));
  });

  it('names the flag and variable of a port that is taken', async () => {
    const err = await resolvePorts({
      ...DEFAULT_PORTS,
      synapse: 0,
      appservice: 0,
      public: 0,
      phone: port,
      email: 0,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as Error).message).toBe(
      `Port ${port} (the phone simulator) is in use on 127.0.0.1. Free it, or choose another with --phone-port N (or LIVECHAT_DEV_PHONE_PORT).`,
    );
  });

  it('refuses one port for two parts, and picks free ones for SMTP and Postgres', async () => {
    const free = await freePorts(5);
    const [synapse, appservice, publicPort, phone, email] = free as [number, number, number, number, number];
    const clash = await resolvePorts({
      ...DEFAULT_PORTS,
      synapse,
      appservice,
      public: publicPort,
      phone,
      email: synapse,
    }).catch((e: unknown) => e);
    expect((clash as Error).message).toBe(
      `--email-port and --synapse-port are both ${synapse}: each needs its own port.`,
    );
    const ports = await resolvePorts({
      synapse,
      appservice,
      public: publicPort,
      phone,
      email,
      smtp: 0,
      postgres: 0,
    });
    expect(ports).toMatchObject({ synapse, appservice, public: publicPort, phone, email });
    expect(ports.smtp).toBeGreaterThan(0);
    expect(ports.postgres).toBeGreaterThan(0);
    expect(new Set(Object.values(ports)).size).toBe(7);
  });
});
