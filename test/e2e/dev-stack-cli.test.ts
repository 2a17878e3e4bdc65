import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canListen, freePort } from '../harness/ports.ts';

/*
 * `node cli.ts dev` as a newcomer runs it: a child process on a fresh directory and free ports. It
 * must come up seeded, refuse a second start on the same directory, and leave nothing running
 * (Synapse, Postgres and its backends, any other child) after SIGINT or SIGTERM; a second run
 * finds the same data.
 */

const CLI = new URL('../../cli.ts', import.meta.url).pathname;
const UP = 'The dev stack is up.';

interface Run {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<number | null>;
}

function startDev(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [CLI, 'dev', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(run: Run, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run.exited.then(() => (exited = true));
  while (!run.output().includes(text)) {
    if (exited) throw new Error(`the dev stack exited before "${text}":\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every process descending from `pid`, with its command line (Linux /proc). */
function descendants(pid: number): { pid: number; cmd: string }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: { pid: number; cmd: string }[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift()!;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${next}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    found.push({ pid: next, cmd });
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

function running(pid: number): boolean {
  try {
    // A zombie has exited; it only waits for its parent to read its status.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Processes anywhere on the machine that mention `text` on their command line. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(text) && running(Number(entry))) found.push(`${entry}: ${cmd}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function api<T>(base: string, token: string, route: string): Promise<T> {
  const res = await fetch(`${base}/_matrix/provision/v1${route}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status, `GET ${route}`).toBe(200);
  return (await res.json()) as T;
}

describe('npm run dev (node cli.ts dev)', () => {
  let dir: string;
  let ports: Record<string, number>;
  let args: string[];
  const runs: Run[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'livechat-dev-'));
    // As root, the embedded Postgres runs as the "postgres" user, who must enter the directory.
    await chmod(dir, 0o755);
    ports = {};
    for (const name of ['synapse', 'appservice', 'public', 'phone', 'email', 'smtp', 'postgres'])
      ports[name] = await freePort();
    args = Object.entries(ports).flatMap(([name, port]) => [`--${name}-port`, String(port)]);
  });
  afterAll(async () => {
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts seeded, refuses a second start, and leaves no process behind after SIGINT', async () => {
    const first = startDev(args, { LIVECHAT_DEV_DIR: dir });
    runs.push(first);
    await until(first, UP, 150_000);

    const ready = await fetch(`http://127.0.0.1:${ports.appservice}/ready`);
    expect(ready.status).toBe(200);
    const out = first.output();
    expect(out).toContain(`Phone simulator   http://127.0.0.1:${ports.phone}`);
    expect(out).toContain(`Email             http://127.0.0.1:${ports.email}`);
    expect(out).toContain(`Homeserver        http://localhost:${ports.synapse}`);
    expect(out).toContain(`/_matrix/provision/v1/openapi.json`);
    for (const user of ['@admin:localhost', '@alice:localhost', '@bob:localhost'])
      expect(out).toMatch(new RegExp(`${user}\\s+password: \\S{10,}`));
    // Synapse keeps its own log in a file, not in the terminal.
    expect(out).not.toContain(' - synapse.');
    expect(existsSync(path.join(dir, 'logs', 'synapse.log'))).toBe(true);

    // Seeded through the API: the printed token works and shows what was made.
    const token = /Authorization: Bearer (\S+)/.exec(out)![1]!;
    const base = `http://127.0.0.1:${ports.public}`;
    const { spaces } = await api<{ spaces: { id: string; name: string; seats: { limit: number } }[] }>(
      base,
      token,
      '/spaces',
    );
    expect(spaces.map((s) => [s.name, s.seats.limit])).toEqual([['Orders', 10]]);
    const { senders } = await api<{ senders: { channel: string; address: string; mode: string }[] }>(
      base,
      token,
      `/spaces/${spaces[0]!.id}/senders`,
    );
    expect(senders.map((s) => `${s.channel} ${s.address} ${s.mode}`).sort()).toEqual([
      'sms +14155550199 livechat',
      'whatsapp +5500112233 chatbot',
    ]);
    const { agents } = await api<{ agents: { userId: string; role: string }[] }>(
      base,
      token,
      `/spaces/${spaces[0]!.id}/agents`,
    );
    expect(agents.map((a) => `${a.role} ${a.userId}`).sort()).toEqual([
      'admin @admin:localhost',
      'agent @alice:localhost',
      'agent @bob:localhost',
    ]);

    // What runs under it: Synapse and Postgres (with its backends).
    const tree = descendants(first.child.pid!);
    expect(tree.some((p) => p.cmd.includes('synapse.app.homeserver'))).toBe(true);
    expect(tree.some((p) => /\bpostgres\b/.test(p.cmd))).toBe(true);

    const second = startDev(args, { LIVECHAT_DEV_DIR: dir });
    runs.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`A dev stack is already running on ${dir} (pid ${first.child.pid})`);
    // The refused start changed nothing for the running one.
    expect((await fetch(`http://127.0.0.1:${ports.appservice}/ready`)).status).toBe(200);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('the dev stack stopped');
    const left = tree.filter((p) => running(p.pid));
    expect(left, 'processes left after SIGINT').toEqual([]);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'dev.pid'))).toBe(false);
    for (const port of Object.values(ports)) expect(await canListen(port, '127.0.0.1')).toBe(true);
  }, 240_000);

  it('finds the same data on the next run and stops on SIGTERM', async () => {
    const secrets = JSON.parse(await readFile(path.join(dir, 'secrets.json'), 'utf8')) as {
      provisioningToken: string;
      passwords: Record<string, string>;
    };
    const again = startDev(['--dir', dir, ...args]);
    runs.push(again);
    await until(again, UP, 150_000);
    const out = again.output();
    expect(out).toContain(`Bearer ${secrets.provisioningToken}`);
    expect(out).toContain(`@alice:localhost  password: ${secrets.passwords['alice@example.com']}`);
    // Nothing made twice: seeding looked first.
    expect(out).not.toContain('creating the space');
    expect(out).not.toContain('inviting ');
    const base = `http://127.0.0.1:${ports.public}`;
    const { spaces } = await api<{ spaces: { id: string }[] }>(base, secrets.provisioningToken, '/spaces');
    expect(spaces).toHaveLength(1);

    const tree = descendants(again.child.pid!);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(tree.filter((p) => running(p.pid))).toEqual([]);
    expect(processesMentioning(dir)).toEqual([]);
  }, 240_000);

  it('stops what it had started when interrupted during start-up', async () => {
    const run = startDev(['--dir', dir, ...args]);
    runs.push(run);
    await until(run, 'starting the bridge', 150_000);
    const tree = descendants(run.child.pid!);
    expect(tree.some((p) => p.cmd.includes('synapse.app.homeserver'))).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).not.toContain(UP);
    expect(tree.filter((p) => running(p.pid))).toEqual([]);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'dev.pid'))).toBe(false);
  }, 240_000);
});
