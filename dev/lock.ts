import { open, readFile, rm, stat } from 'node:fs/promises';
import { sleep } from './process.ts';

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` while holding `file` (created exclusively, holding our pid), so that concurrent runs
 * or workers do not install the same thing at once. A lock whose owner died is taken over.
 */
export async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      const age =
        Date.now() -
        (await stat(file)
          .then((s) => s.mtimeMs)
          .catch(() => Date.now()));
      // A lock whose owner died (or that is older than any install) is stale.
      if ((owner > 0 && !alive(owner)) || age > 30 * 60_000) {
        await rm(file, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for ${file} (held by pid ${owner})`, { cause: err });
      await sleep(1000);
    }
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}
