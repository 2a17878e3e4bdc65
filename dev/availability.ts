import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../bridge/log.ts';
import type { Credential } from './seed.ts';

/*
 * The seeded agents start the dev stack online, so that a conversation started on the phone page
 * reaches someone at once. They go online the way a person does: a DM with the bot and `!online`.
 */

const log = logger('dev.availability');

async function matrix(
  homeserver: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${homeserver}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new Error(
      `${method} ${path}: ${res.status} ${String(json.errcode ?? '')} ${String(json.error ?? '')}`,
    );
  return json;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export interface AvailabilityDeps {
  homeserver: string;
  botUserId: string;
  /** Whether the provisioning API lists this Matrix user as online in the seeded space. */
  isOnline(userId: string): Promise<boolean>;
}

/** Sends `!online` for every seeded agent that is not online yet. */
export async function bringAgentsOnline(deps: AvailabilityDeps, people: Credential[]): Promise<void> {
  for (const person of people.filter((p) => p.role === 'agent')) {
    if (await deps.isOnline(person.userId)) continue;
    if (!person.password) {
      log.warn(`${person.userId} has no known password: send !online to the bot yourself`);
      continue;
    }
    const session = await matrix(deps.homeserver, undefined, 'POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: person.userId },
      password: person.password,
    });
    const token = String(session.access_token);
    try {
      const room = await matrix(deps.homeserver, token, 'POST', '/_matrix/client/v3/createRoom', {
        is_direct: true,
        invite: [deps.botUserId],
        preset: 'trusted_private_chat',
      });
      const roomId = encodeURIComponent(String(room.room_id));
      await until(`${deps.botUserId} to join the DM`, async () => {
        const members = await matrix(
          deps.homeserver,
          token,
          'GET',
          `/_matrix/client/v3/rooms/${roomId}/joined_members`,
        );
        return Object.keys((members.joined as object) ?? {}).includes(deps.botUserId);
      });
      await matrix(
        deps.homeserver,
        token,
        'PUT',
        `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${randomUUID()}`,
        {
          msgtype: 'm.text',
          body: '!online',
        },
      );
      await until(`${person.userId} to be online`, () => deps.isOnline(person.userId));
      log.info(`${person.name} is online (sent !online to the bot in a DM)`);
    } finally {
      await matrix(deps.homeserver, token, 'POST', '/_matrix/client/v3/logout', {}).catch(() => undefined);
    }
  }
}
