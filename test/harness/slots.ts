import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../config/load.ts';
import { generateRegistration, loadRegistration, writeRegistration } from '../../config/registration.ts';
import type { ConfigInput, Config } from '../../config/schema.ts';
import { freePorts, SLOT_PORT_RANGE } from './ports.ts';

/*
 * Synapse reads appservice registrations only at start-up and, once an appservice stops answering,
 * backs off for minutes before sending it anything again. So the homeserver is started with a pool
 * of registrations and every test environment takes one that nobody used before: a bridge that a
 * previous test file stopped can never slow down the next file.
 */

/** One appservice identity; serializable, handed from the global setup to test files. */
export interface Slot {
  index: number;
  id: string;
  registrationFile: string;
  botLocalpart: string;
  ghostPrefix: string;
  appservicePort: number;
  provisioningPort: number;
}

export interface HomeserverRef {
  url: string;
  domain: string;
}

export const DEFAULT_SLOT_COUNT = 48;

export function slotCount(): number {
  const raw = process.env.LIVECHAT_TEST_SLOTS;
  const n = raw === undefined ? DEFAULT_SLOT_COUNT : Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`LIVECHAT_TEST_SLOTS must be a positive integer, got "${raw}"`);
  return n;
}

export interface SlotConfigOptions {
  databaseUrl?: string;
  /** Last word on the raw config before validation (e.g. add `smtp`, change `bot.commandPrefix`). */
  configure?: (input: ConfigInput) => ConfigInput | void;
}

/** The bridge configuration for a slot, defaults filled in by the project's own parser. */
export function slotConfig(slot: Slot, homeserver: HomeserverRef, options: SlotConfigOptions = {}): Config {
  let input: ConfigInput = {
    homeserver: { url: homeserver.url, domain: homeserver.domain },
    appservice: { id: slot.id, port: slot.appservicePort, bindAddress: '127.0.0.1' },
    bot: { localpart: slot.botLocalpart },
    ghosts: { prefix: slot.ghostPrefix },
    provisioning: { port: slot.provisioningPort, token: randomBytes(16).toString('hex') },
    publicUrl: `http://127.0.0.1:${slot.provisioningPort}`,
    database: options.databaseUrl ? { url: options.databaseUrl } : {},
    logging: { level: (process.env.LOG_LEVEL ?? 'warn') as NonNullable<ConfigInput['logging']>['level'] },
  };
  if (options.configure) input = options.configure(input) ?? input;
  return parseConfig(input, `test config of ${slot.id}`);
}

/** Writes `count` registrations into `dir` and returns their slots. */
export async function generateSlots(dir: string, count: number, homeserver: HomeserverRef): Promise<Slot[]> {
  await mkdir(dir, { recursive: true });
  const ports = await freePorts(count * 2, { range: SLOT_PORT_RANGE });
  const slots: Slot[] = [];
  for (let index = 0; index < count; index++) {
    const slot: Slot = {
      index,
      id: `livechat-test-${index}`,
      registrationFile: join(dir, `livechat-test-${index}.yaml`),
      botLocalpart: `lcbot${index}`,
      ghostPrefix: `_lc${index}_`,
      appservicePort: ports[2 * index] as number,
      provisioningPort: ports[2 * index + 1] as number,
    };
    const config = slotConfig(slot, homeserver);
    await writeRegistration(
      slot.registrationFile,
      generateRegistration(config, `http://127.0.0.1:${slot.appservicePort}`),
    );
    slots.push(slot);
  }
  return slots;
}

function unescapeRegex(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/**
 * Slots from registrations an already-running homeserver loaded (HOMESERVER_REGISTRATIONS_DIR),
 * e.g. written by an earlier run's generateSlots. The appservice port comes from each URL.
 */
export async function loadSlots(dir: string): Promise<Slot[]> {
  const files = (await readdir(dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const provisioning = await freePorts(files.length, { range: SLOT_PORT_RANGE });
  const slots: Slot[] = [];
  for (const [index, file] of files.entries()) {
    const registrationFile = join(dir, file);
    const reg = await loadRegistration(registrationFile);
    const ghost = reg.namespaces.users.map((u) => /^@(_.*_)\\?\.\*:/.exec(u.regex)?.[1]).find(Boolean);
    const port = reg.url ? Number(new URL(reg.url).port) : NaN;
    if (!ghost || !Number.isInteger(port) || port <= 0) {
      throw new Error(
        `${registrationFile}: need a ghost namespace "@_prefix_.*:domain" and a url with a port`,
      );
    }
    slots.push({
      index,
      id: reg.id,
      registrationFile,
      botLocalpart: reg.sender_localpart,
      ghostPrefix: unescapeRegex(ghost),
      appservicePort: port,
      provisioningPort: provisioning[index] as number,
    });
  }
  return slots;
}

/**
 * Takes the first slot no one in this run has taken. Test files run in separate worker processes,
 * so the claim is an exclusively created file in the run directory.
 */
export async function claimSlot(
  runDir: string,
  slots: readonly Slot[],
  owner = `pid ${process.pid}`,
): Promise<Slot> {
  const claims = join(runDir, 'claims');
  await mkdir(claims, { recursive: true });
  for (const slot of slots) {
    try {
      const handle = await open(join(claims, slot.id), 'wx');
      await handle.writeFile(`${owner}\n`);
      await handle.close();
      return slot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(
    `All ${slots.length} appservice slots of this run are taken (one per createTestEnv()). ` +
      `Raise LIVECHAT_TEST_SLOTS (now ${slots.length}), or with HOMESERVER_URL add registrations to ` +
      `HOMESERVER_REGISTRATIONS_DIR. Claims are listed in ${claims}.`,
  );
}
