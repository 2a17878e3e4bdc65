import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { killGroup, sleep, spawnLogged, tail, type Spawned } from './process.ts';

/*
 * The bridge as a child process, started through its own CLI (`node cli.ts -c … -f …`), the way an
 * operator runs it. Benchmarks read its CPU time and memory from /proc; fault tests SIGKILL it.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcessUsage {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
}

/** CPU seconds and resident memory of a running process, from /proc (Linux). */
export function processUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
}

export interface BridgeProcessOptions {
  configFile: string;
  registrationFile: string;
  logFile: string;
  /** Where the appservice listener answers /ready. */
  appserviceUrl: string;
  env?: NodeJS.ProcessEnv;
}

export class BridgeProcess {
  readonly options: BridgeProcessOptions;
  private spawned: Spawned | undefined;
  /** Start with another configuration file from the next spawn on. */
  useConfig(configFile: string): void {
    this.options.configFile = configFile;
  }

  /** How many times the process was started. */
  starts = 0;

  constructor(options: BridgeProcessOptions) {
    this.options = options;
  }

  get pid(): number | undefined {
    return this.spawned?.child.pid;
  }

  get running(): boolean {
    const child = this.spawned?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  /** Spawns the CLI; does not wait for readiness (see waitReady). */
  spawn(): void {
    if (this.running) throw new Error('the bridge process is already running');
    this.starts++;
    this.spawned = spawnLogged(
      process.execPath,
      [
        '--disable-warning=DEP0060',
        'cli.ts',
        '-c',
        this.options.configFile,
        '-f',
        this.options.registrationFile,
      ],
      { logFile: this.options.logFile, cwd: ROOT, env: { ...process.env, ...this.options.env } },
    );
  }

  /** Polls /ready until it answers 200; fails early if the process exits. */
  async waitReady(timeoutMs = 60_000): Promise<number> {
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`the bridge exited before it was ready:\n${tail(this.options.logFile, 30)}`);
      try {
        const res = await fetch(`${this.options.appserviceUrl}/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return performance.now() - started;
      } catch {
        // Not listening yet.
      }
      await sleep(25);
    }
    throw new Error(`the bridge was not ready within ${timeoutMs} ms:\n${tail(this.options.logFile, 30)}`);
  }

  async start(timeoutMs?: number): Promise<number> {
    this.spawn();
    return this.waitReady(timeoutMs);
  }

  /** SIGKILL: no draining, no cleanup, as a crash or the OOM killer would. */
  async kill(): Promise<void> {
    const spawned = this.spawned;
    if (!spawned || !this.running) return;
    process.kill(spawned.child.pid!, 'SIGKILL');
    await spawned.exited;
  }

  /** SIGTERM (graceful stop), SIGKILL after the grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    const spawned = this.spawned;
    if (spawned) await killGroup(spawned, graceMs);
  }

  usage(): ProcessUsage {
    if (!this.pid || !this.running) throw new Error('the bridge process is not running');
    return processUsage(this.pid);
  }
}
