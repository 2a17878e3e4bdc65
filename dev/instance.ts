import { readFileSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alive } from './lock.ts';

/*
 * One dev stack per directory: its pid file (dev.pid) is created exclusively and holds the owner's
 * pid and start time. A file whose process is gone, or whose pid now belongs to a process started
 * later (pid reuse after a crash), is stale and taken over.
 */

export class StackRunningError extends Error {
  readonly pid: number;

  constructor(dir: string, pid: number) {
    super(
      `A dev stack is already running on ${dir} (pid ${pid}). Stop it first (Ctrl-C in its terminal, ` +
        `or kill ${pid}), or use another directory (--dir).`,
    );
    this.name = 'StackRunningError';
    this.pid = pid;
  }
}

interface Owner {
  pid: number;
  /** Linux: the process start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  started?: string;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function running(owner: Owner): boolean {
  if (!alive(owner.pid)) return false;
  const now = startTime(owner.pid);
  return owner.started === undefined || now === undefined || now === owner.started;
}

export interface InstanceLock {
  file: string;
  release(): Promise<void>;
}

export async function acquireInstanceLock(dir: string): Promise<InstanceLock> {
  const file = join(dir, 'dev.pid');
  const me: Owner = {
    pid: process.pid,
    ...(startTime(process.pid) ? { started: startTime(process.pid) } : {}),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${JSON.stringify(me)}\n`);
      await handle.close();
      const releaseSync = () => {
        try {
          const owner = JSON.parse(readFileSync(file, 'utf8')) as Owner;
          if (owner.pid === me.pid) rmSync(file, { force: true });
        } catch {
          // Gone already.
        }
      };
      // Even an exit without stop() (an uncaught error) leaves no lock behind.
      process.once('exit', releaseSync);
      return {
        file,
        async release() {
          process.removeListener('exit', releaseSync);
          releaseSync();
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: Owner | undefined;
      try {
        owner = JSON.parse(await readFile(file, 'utf8')) as Owner;
      } catch {
        // Half-written or garbage: a crash between create and write.
      }
      if (owner && Number.isInteger(owner.pid) && running(owner)) throw new StackRunningError(dir, owner.pid);
      await rm(file, { force: true });
    }
  }
  throw new Error(`Could not take ${file}: another process keeps creating it`);
}
