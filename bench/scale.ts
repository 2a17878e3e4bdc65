import type { Stack } from '../test/harness/stack.ts';
import { sleep } from './load.ts';

export interface ScaleResult {
  conversations: number;
  startupMs: number;
  rssMb: number;
  homeserverRequests: number;
  requestsByShape: [string, number][];
}

/**
 * Adds `count` open conversations to the store in one statement (contacts with registered ghosts,
 * conversations whose rooms are set up) so the start-up that follows sees them all. Their room IDs
 * are made up: a start-up that touched any room would show in the request count (and fail on them).
 * They are with the bot: queued ones never offered would be routed to the online agent by the first
 * lifecycle sweep (invitations: routing's work, not start-up's), and the count would depend on
 * whether that sweep falls within the seconds counted.
 */
export async function seedConversations(stack: Stack, senderId: string, count: number): Promise<void> {
  await stack.db.query(
    `WITH s AS (SELECT id, space_id FROM senders WHERE id = $1),
     c AS (
       INSERT INTO contacts (space_id, channel, address, address_kind, ghost_localpart, ghost_display_name)
       SELECT s.space_id, 'sms', '+1416' || lpad(g::text, 7, '0'), 'e164', '_livechat_seed' || g, 'Seed ' || g
       FROM s, generate_series(1, $2) g
       RETURNING id, space_id, address
     )
     INSERT INTO conversations (space_id, sender_id, contact_id, room_id, state, room_ready, last_inbound_at)
     SELECT c.space_id, $1, c.id, '!seed' || substr(c.address, 6) || ':localhost', 'bot', true, now()
     FROM c`,
    [senderId, count],
  );
}

/** Waits until no queue has work left (the bot's effects included), so a restart finds none. */
export async function settle(stack: Stack, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await stack.db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM inbox WHERE state = 'pending') + (SELECT count(*) FROM outbox WHERE state = 'pending')
            + (SELECT count(*) FROM matrix_events WHERE state = 'pending')
            + (SELECT count(*) FROM bot_effects WHERE state = 'pending') AS n`,
    );
    if (Number(rows[0]?.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`work still pending after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/**
 * Restarts the bridge with `conversations` open ones in the store, counting the requests it makes
 * to the homeserver (through the counting proxy) from spawn until 5 s after it reported ready.
 */
export async function startup(stack: Stack, conversations: number): Promise<ScaleResult> {
  if (!stack.proxy || !stack.countedConfigFile)
    throw new Error('the scale measurement needs the counting proxy');
  await stack.bridge.stop();
  stack.bridge.useConfig(stack.countedConfigFile);
  stack.proxy.reset();
  const startupMs = await stack.bridge.start(120_000);
  await sleep(5000);
  const { total, byShape } = stack.proxy.snapshot();
  return {
    conversations,
    startupMs,
    rssMb: stack.bridge.usage().rssBytes / 1024 / 1024,
    homeserverRequests: total,
    requestsByShape: byShape,
  };
}
