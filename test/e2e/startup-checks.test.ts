import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.ts';
import { createTestEnv, type TestEnv } from '../harness/env.ts';

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('the bot profile', () => {
  let env: TestEnv;
  let server: Server;
  let downloads = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      downloads++;
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const avatar = `http://127.0.0.1:${(server.address() as { port: number }).port}/avatar.png`;
    env = await createTestEnv({
      configure: (input) => ({ ...input, bot: { ...input.bot, displayName: 'Acme Support', avatar } }),
    });
  });
  afterAll(async () => {
    await env?.stop();
    await new Promise((r) => server.close(r));
  });

  it('has the configured name and avatar, uploaded once across restarts', async () => {
    const user = await env.createUser();
    const client = await env.login(user);
    const profile = await client.getProfileInfo(env.bridge!.botUserId);
    expect(profile.displayname).toBe('Acme Support');
    expect(profile.avatar_url).toMatch(/^mxc:\/\//);
    const media = await fetch(
      `${env.synapse.url}/_matrix/client/v1/media/download/${profile.avatar_url!.slice('mxc://'.length)}`,
      { headers: { authorization: `Bearer ${user.accessToken}` } },
    );
    expect(Buffer.from(await media.arrayBuffer()).equals(PNG)).toBe(true);
    await env.restartBridge();
    expect(downloads).toBe(1);
    expect((await client.getProfileInfo(env.bridge!.botUserId)).avatar_url).toBe(profile.avatar_url);
  });
});

describe('a registration whose URL does not reach the bridge', () => {
  let env: TestEnv;

  beforeAll(async () => {
    // The homeserver loaded this slot's registration with the slot's port; listen elsewhere.
    const elsewhere = await freePort();
    env = await createTestEnv({
      configure: (input) => ({ ...input, appservice: { ...input.appservice, port: elsewhere } }),
    });
  });
  afterAll(async () => env?.stop());

  it('still starts, but is not ready, and says why', async () => {
    const res = await fetch(`${env.bridge!.appserviceUrl}/ready`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, string> };
    expect(body.checks.database).toBe('ok');
    expect(body.checks.homeserver).toBe('ok');
    expect(body.checks.appservice).toMatch(/^the homeserver cannot reach the appservice: /);
  });
});
