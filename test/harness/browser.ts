import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { withLock } from '../../dev/lock.ts';
import { cacheDir } from '../../dev/synapse/install.ts';

/*
 * Headless Chromium from the Debian package, driven by playwright-core (which downloads no browser
 * of its own). env CHROMIUM_PATH points at another binary.
 */

const run = promisify(execFile);

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium binary, installed with apt-get when missing and we are root. */
export async function ensureChromium(): Promise<string> {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return path;
  if (process.env.CHROMIUM_PATH || process.getuid?.() !== 0) {
    throw new Error(
      `No Chromium at ${path}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  await mkdir(cacheDir(), { recursive: true });
  // Test files run in parallel workers: one of them installs, the others wait.
  await withLock(join(cacheDir(), 'chromium-apt.lock'), async () => {
    if (existsSync(path)) return;
    const apt = (...args: string[]) =>
      run('apt-get', args, {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        maxBuffer: 64 << 20,
      });
    try {
      await apt('install', '-y', '--no-install-recommends', 'chromium');
    } catch {
      // Stale package lists are the usual reason.
      await apt('update');
      await apt('install', '-y', '--no-install-recommends', 'chromium');
    }
  });
  if (!existsSync(path)) throw new Error(`apt-get install chromium ran, but ${path} is still missing`);
  return path;
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await ensureChromium();
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  await browser?.close();
}
