import type { MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitForJoin, waitForRoomEvent, type TestEnv } from '../harness/env.ts';

describe('the bot in a direct message', () => {
  let env: TestEnv;
  let alice: MatrixClient;
  let dm: string;

  beforeAll(async () => {
    env = await createTestEnv();
    alice = await env.login(await env.createUser('alice'));
    const created = await alice.createRoom({
      is_direct: true,
      invite: [env.bridge!.botUserId],
      preset: 'trusted_private_chat' as never,
    });
    dm = created.room_id;
    await waitForJoin(alice, dm, env.bridge!.botUserId);
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('joins, greets, and has the configured name', async () => {
    const greeting = await waitForRoomEvent(alice, {
      roomId: dm,
      type: 'm.room.message',
      sender: env.bridge!.botUserId,
    });
    expect(greeting.getContent().body).toMatch(/send help/i);
    const profile = await alice.getProfileInfo(env.bridge!.botUserId);
    expect(profile.displayname).toBe(env.config.bot.displayName);
  });

  it('answers !help in a thread with the commands and a ✅', async () => {
    const sent = await alice.sendTextMessage(dm, '!help');
    const reply = await waitForRoomEvent(alice, {
      roomId: dm,
      type: 'm.room.message',
      sender: env.bridge!.botUserId,
      predicate: (e) => e.getContent()['m.relates_to']?.event_id === sent.event_id,
    });
    const content = reply.getContent();
    expect(content.msgtype).toBe('m.notice');
    expect(content['m.relates_to']).toMatchObject({ rel_type: 'm.thread', event_id: sent.event_id });
    expect(content.body).toContain('!help [command] — list the commands you can use');
    expect(content.formatted_body).toContain('<code>!help [command]</code>');
    const reaction = await waitForRoomEvent(alice, {
      roomId: dm,
      type: 'm.reaction',
      predicate: (e) => e.getContent()['m.relates_to']?.event_id === sent.event_id,
    });
    expect(reaction.getContent()['m.relates_to']?.key).toBe('✅');
  });

  it('takes bare words in a DM and explains one command', async () => {
    const sent = await alice.sendTextMessage(dm, 'help help');
    const reply = await waitForRoomEvent(alice, {
      roomId: dm,
      sender: env.bridge!.botUserId,
      predicate: (e) =>
        e.getType() === 'm.room.message' && e.getContent()['m.relates_to']?.event_id === sent.event_id,
    });
    expect(reply.getContent().body).toMatch(/^!help \[command\] — list the commands[\s\S]*Who: anyone/);
  });

  it('answers an unknown command or a bad argument with what was expected and a ⛔', async () => {
    const unknown = await alice.sendTextMessage(dm, '!frobnicate');
    const reply = await waitForRoomEvent(alice, {
      roomId: dm,
      sender: env.bridge!.botUserId,
      predicate: (e) =>
        e.getType() === 'm.room.message' && e.getContent()['m.relates_to']?.event_id === unknown.event_id,
    });
    expect(reply.getContent().body).toBe('Unknown command "frobnicate". Send !help for the list.');
    const extra = await alice.sendTextMessage(dm, '!help one two');
    const usage = await waitForRoomEvent(alice, {
      roomId: dm,
      sender: env.bridge!.botUserId,
      predicate: (e) =>
        e.getType() === 'm.room.message' && e.getContent()['m.relates_to']?.event_id === extra.event_id,
    });
    expect(usage.getContent().body).toBe('unexpected "two". Usage: !help [command]');
    const refused = await waitForRoomEvent(alice, {
      roomId: dm,
      type: 'm.reaction',
      predicate: (e) => e.getContent()['m.relates_to']?.event_id === extra.event_id,
    });
    expect(refused.getContent()['m.relates_to']?.key).toBe('⛔');
  });
});
