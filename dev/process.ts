import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

/*
 * Child processes (Synapse) run in their own process group (detached) so that stopping one also
 * stops whatever it forked, and write their output to a log file rather than to the terminal or the
 * test output. If the Node process exits without a clean teardown (an exception, Ctrl-C), the exit
 * hook still kills every group that is alive: no homeserver may outlive its parent.
 */

const live = new Set<number>();
let hooked = false;
let killOnSignals = true;

/**
 * By default a signal (Ctrl-C) kills every child group at once, which suits a test run. A program
 * that stops its children itself, in order, on a signal (the dev stack) turns that off; the exit
 * hook stays as the safety net.
 */
export function killChildrenOnSignals(enabled: boolean): void {
  killOnSignals = enabled;
}

function killAllSync(): void {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      if (killOnSignals) killAllSync();
      // Keep the default behaviour (terminate) unless someone else, e.g. vitest, handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export interface Spawned {
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export function spawnLogged(
  command: string,
  args: string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Spawned {
  hookExit();
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      if (pid !== undefined) live.delete(pid);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      if (pid !== undefined) live.delete(pid);
      resolve(err.message);
    });
  });
  // The parent must be able to exit while the child runs; teardown or the exit hook ends it.
  child.unref();
  return { child, exited };
}

/** SIGTERM to the whole group, then SIGKILL if it is still there after `graceMs`. */
export async function killGroup(spawned: Spawned, graceMs = 10_000): Promise<void> {
  const pid = spawned.child.pid;
  if (pid === undefined || spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
  const send = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  send('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const result = await Promise.race([spawned.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    send('SIGKILL');
    await spawned.exited;
  }
  // Stragglers the leader left behind in its group.
  send('SIGKILL');
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
