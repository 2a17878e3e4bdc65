import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser } from '../harness/browser.ts';
import {
  createTestEnv,
  sendText,
  waitForInvite,
  waitForJoin,
  waitForRoomEvent,
  type TestEnv,
} from '../harness/env.ts';
import { startSmtpCapture } from '../harness/smtp.ts';
import type { RegisteredUser } from '../harness/synapse.ts';

// The harness on its own, without the bridge: if this file fails, every other e2e failure is suspect.

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv({ startBridge: false });
});

afterAll(async () => {
  await env?.stop();
});

/** Raw client-server API calls: matrix-js-sdk would quietly retry a 429 and hide a rate limit. */
async function api(
  user: RegisteredUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${env.synapse.url}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function statuses(results: { status: number; json: Record<string, unknown> }[]): string {
  const bad = results.filter((r) => r.status !== 200);
  return bad.length
    ? `${bad.length} failed, e.g. ${bad[0]?.status} ${JSON.stringify(bad[0]?.json)}`
    : 'all 200';
}

describe('Matrix', () => {
  it('registers two users; A invites B, B joins, and sees 50 messages sent at once', async () => {
    const [a, b] = await Promise.all([env.createUser(), env.createUser()]);
    expect(a.userId).toMatch(/^@user-[0-9a-f]+:localhost$/);
    const [clientA, clientB] = await Promise.all([env.login(a), env.login(b)]);

    const { room_id: roomId } = await clientA.createRoom({ name: 'harness', invite: [b.userId] });
    expect(await waitForInvite(clientB, { from: a.userId })).toBe(roomId);
    await clientB.joinRoom(roomId);
    await waitForJoin(clientA, roomId, b.userId);
    const hello = await sendText(clientA, roomId, 'hello');

    // rc_message's default burst is 10: with rate limits on, most of these would get 429.
    const sends = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api(a, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/burst-${i}`, {
          msgtype: 'm.text',
          body: `message ${i}`,
        }),
      ),
    );
    expect(statuses(sends)).toBe('all 200');
    const last = await waitForRoomEvent(clientB, {
      roomId,
      sender: a.userId,
      since: hello,
      predicate: (e) => e.getContent().body === 'message 49',
    });
    expect(last.getType()).toBe('m.room.message');
    // Already in B's timeline: the helper must find it without waiting for anything new...
    const again = await waitForRoomEvent(clientB, {
      roomId,
      predicate: (e) => e.getContent().body === 'message 49',
      timeoutMs: 100,
    });
    expect(again.getId()).toBe(last.getId());
    // ...unless told to look only after it.
    await expect(
      waitForRoomEvent(clientB, {
        roomId,
        since: last.getId(),
        predicate: (e) => e.getContent().body === 'message 49',
        timeoutMs: 300,
      }),
    ).rejects.toThrow(/waited 300 ms for event \{roomId=.*since=.*predicate\}; last events seen/);
  });

  it('has no rate limit on room creation, invites, joins and logins', async () => {
    const [a, b] = await Promise.all([env.createUser(), env.createUser()]);
    // Defaults: rc_room_creation burst 10, rc_invites.per_user burst 5, rc_joins.local burst 10, rc_login burst 5.
    const created = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        api(a, 'POST', '/createRoom', { name: `room ${i}`, invite: [b.userId] }),
      ),
    );
    expect(statuses(created)).toBe('all 200');
    const joined = await Promise.all(
      created.map((c) => api(b, 'POST', `/join/${encodeURIComponent(String(c.json.room_id))}`, {})),
    );
    expect(statuses(joined)).toBe('all 200');
    const logins = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${env.synapse.url}/_matrix/client/v3/login`, {
          method: 'POST',
          body: JSON.stringify({
            type: 'm.login.password',
            identifier: { type: 'm.id.user', user: a.localpart },
            password: a.password,
          }),
        }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> })),
      ),
    );
    expect(statuses(logins)).toBe('all 200');
  });
});

describe('private homeserver', () => {
  it('stops and starts again with the same data', async () => {
    const own = await createTestEnv({ startBridge: false, privateHomeserver: true });
    try {
      expect(own.synapse.url).not.toBe(env.synapse.url);
      expect(own.config.homeserver.url).toBe(own.synapse.url);
      const user = await own.createUser();
      const whoami = () =>
        fetch(`${own.synapse.url}/_matrix/client/v3/account/whoami`, {
          headers: { authorization: `Bearer ${user.accessToken}` },
        });
      await own.synapse.stop();
      await expect(whoami()).rejects.toThrow();
      await own.synapse.start();
      expect(await (await whoami()).json()).toMatchObject({ user_id: user.userId });
    } finally {
      await own.stop();
    }
    await expect(env.synapse.stop()).rejects.toThrow(/privateHomeserver/);
  });
});

describe('Postgres', () => {
  it('gives each test file a fresh, empty database', async () => {
    const client = new pg.Client({ connectionString: env.databaseUrl });
    await client.connect();
    try {
      const tables = await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
      );
      expect(tables.rows).toEqual([]);
      await client.query('CREATE TABLE probe (id serial PRIMARY KEY, note text NOT NULL)');
      await client.query(`INSERT INTO probe (note) VALUES ('ok')`);
      expect((await client.query('SELECT note FROM probe')).rows).toEqual([{ note: 'ok' }]);
    } finally {
      await client.end();
    }
    expect(env.config.database.url).toBe(env.databaseUrl);
  });
});

describe('SMTP', () => {
  it('captures and parses an email sent with nodemailer', async () => {
    const smtp = await startSmtpCapture();
    try {
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: false,
        ignoreTLS: true,
      });
      await transport.sendMail({
        from: 'Live chat <livechat@example.com>',
        to: 'agent@example.com',
        subject: 'You are invited',
        text: 'Accept: http://127.0.0.1/invite/abc',
      });
      const mail = await smtp.waitForEmail((m) => m.subject === 'You are invited');
      expect(mail.text).toContain('http://127.0.0.1/invite/abc');
      expect(mail.from?.value[0]?.address).toBe('livechat@example.com');
      expect(smtp.messages).toHaveLength(1);
    } finally {
      await smtp.stop();
    }
  });
});

describe('Browser', () => {
  it('opens a local page in headless Chromium', { timeout: 300_000 }, async () => {
    const server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Livechat harness</title><p>ok</p>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(await page.title()).toBe('Livechat harness');
    } finally {
      await closeBrowser(browser);
      server.close();
    }
  });
});
