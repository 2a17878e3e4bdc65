import { randomBytes } from 'node:crypto';
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Clock } from '../../../bridge/context.ts';
import { closeBrowser, launchBrowser } from '../../harness/browser.ts';
import { createTestEnv, waitForInvite, waitForMembership, type TestEnv } from '../../harness/env.ts';
import { startSmtpCapture, type SmtpCapture } from '../../harness/smtp.ts';
import { apiClient, type ApiClient } from './client.ts';
import { linkIn, sentTo } from './links.ts';

/*
 * The invitation as a person lives it: the email from a real SMTP server, the page in headless
 * Chromium with JavaScript off, the account on the real Synapse, the rooms seen from a real client.
 */

describe('accepting an invitation in a browser', () => {
  let env: TestEnv;
  let api: ApiClient;
  let smtp: SmtpCapture;
  let browser: Browser;
  let context: BrowserContext;
  let space: { id: string; matrix: { spaceRoomId: string; controlRoomId: string } };
  const suffix = randomBytes(3).toString('hex');
  const email = (who: string) => `${who}.${suffix}@example.com`;
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeAll(async () => {
    const harness = inject('livechatHarness');
    smtp = await startSmtpCapture();
    env = await createTestEnv({
      startOptions: { clock },
      configure: (input) => ({
        ...input,
        homeserver: { ...input.homeserver, registrationSharedSecret: harness.homeserver.sharedSecret },
        smtp: { host: smtp.host, port: smtp.port, from: 'livechat@example.com' },
        invitations: { clientUrl: 'https://chat.example.com/#/login?user={userId}', rateLimitPerMinute: 40 },
      }),
    });
    api = apiClient(env);
    space = (await api.post('/spaces', { name: 'Orders', seats: 5 })).body;
    const invited = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [
        { name: 'Alice Admin', email: email('alice'), role: 'admin' },
        { name: 'Bob Agent', email: email('bob'), role: 'agent' },
        { name: 'Carol Late', email: email('carol'), role: 'agent' },
        { name: 'Dave Gone', email: email('dave'), role: 'agent' },
      ],
    });
    expect(invited.status).toBe(201);
    browser = await launchBrowser();
    // The page must work with JavaScript off.
    context = await browser.newContext({ javaScriptEnabled: false });
  });
  afterAll(async () => {
    await context?.close();
    await closeBrowser(browser);
    await env?.stop();
    await smtp?.stop();
  });

  const linkFor = async (who: string) => linkIn(await smtp.waitForEmail(sentTo(email(who))));

  async function submit(page: Page, button: string): Promise<number> {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click(`button:has-text("${button}")`),
    ]);
    await page.waitForLoadState();
    return response.status();
  }

  async function loginWithPassword(user: string, password: string): Promise<MatrixClient> {
    const anonymous = createClient({ baseUrl: env.synapse.url });
    const session = await anonymous.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password,
    });
    return env.login({
      userId: session.user_id,
      accessToken: session.access_token,
      deviceId: session.device_id,
    });
  }

  it('creates an account that joins the space and its control room as an admin', async () => {
    const { link } = await linkFor('alice');
    const page = await context.newPage();
    const shown = await page.goto(link);
    expect(shown?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Join Orders');
    expect(await page.textContent('body')).toContain('you are invited as admin');
    await page.screenshot({ path: `${env.harness.runDir}/invitation-form.png`, fullPage: true });

    // Mistakes are explained on the form, which keeps the email typed.
    await page.fill('#create-email', 'someone.else@example.com');
    await page.fill('#password', 'correct horse battery');
    await page.fill('#confirm', 'correct horse battery');
    expect(await submit(page, 'Create my account')).toBe(400);
    expect(await page.textContent('[role=alert]')).toBe(
      'This is not the email address the invitation was sent to.',
    );
    expect(await page.inputValue('#create-email')).toBe('someone.else@example.com');
    await page.fill('#create-email', email('alice').toUpperCase());
    await page.fill('#password', 'correct horse battery');
    await page.fill('#confirm', 'correct horse batterY');
    expect(await submit(page, 'Create my account')).toBe(400);
    expect(await page.textContent('[role=alert]')).toBe('The two passwords are not the same.');

    // The browser enforces minlength itself; a client that does not gets the same rule from the server.
    const scripted = await browser.newContext();
    const lax = await scripted.newPage();
    await lax.goto(link);
    await lax.evaluate(() =>
      document.querySelectorAll('input').forEach((i) => i.removeAttribute('minlength')),
    );
    await lax.fill('#create-email', email('alice'));
    await lax.fill('#password', 'short');
    await lax.fill('#confirm', 'short');
    expect(await submit(lax, 'Create my account')).toBe(400);
    expect(await lax.textContent('[role=alert]')).toBe('The password must have at least 10 characters.');
    await scripted.close();

    await page.fill('#create-email', email('alice').toUpperCase());
    await page.fill('#password', 'correct horse battery');
    await page.fill('#confirm', 'correct horse battery');
    expect(await submit(page, 'Create my account')).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('You are in');
    const userId = `@alice.${suffix}:${env.config.homeserver.domain}`;
    expect(await page.textContent('body')).toContain(`Your account ${userId} is ready`);
    expect(await page.getAttribute('a.button', 'href')).toBe(
      `https://chat.example.com/#/login?user=${encodeURIComponent(userId)}`,
    );
    await page.screenshot({ path: `${env.harness.runDir}/invitation-done.png`, fullPage: true });

    // The person signs in with the password they chose and is already in the rooms.
    const alice = await loginWithPassword(`alice.${suffix}`, 'correct horse battery');
    for (const roomId of [space.matrix.spaceRoomId, space.matrix.controlRoomId]) {
      await waitForMembership(alice, roomId, userId, 'join');
      const levels = alice
        .getRoom(roomId)!
        .currentState.getStateEvents('m.room.power_levels', '')!
        .getContent();
      expect(levels.users[userId]).toBe(50);
    }
    expect((await alice.getProfileInfo(userId)).displayname).toBe('Alice Admin');

    const { body: agents } = await api.get(`/spaces/${space.id}/agents`);
    expect(agents.agents).toEqual([
      expect.objectContaining({
        userId,
        name: 'Alice Admin',
        email: email('alice'),
        role: 'admin',
        openChats: 0,
      }),
    ]);
    expect((await api.get(`/spaces/${space.id}/seats`)).body).toMatchObject({
      used: 1,
      pending: 3,
      available: 1,
    });
    const accepted = await api.request('GET', `/spaces/${space.id}/invitations?status=accepted`);
    expect(accepted.body.invitations).toEqual([expect.objectContaining({ userId, status: 'accepted' })]);

    // The link is used up.
    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    expect(await page.textContent('body')).toContain('This invitation has already been used.');
    await page.close();
  });

  it('links an existing Matrix ID: the bot invites it and the person accepts in their client', async () => {
    const existing = await env.createUser(`bob-${suffix}`);
    const bob = await env.login(existing);
    const { link } = await linkFor('bob');
    const page = await context.newPage();
    await page.goto(link);
    await page.fill('#link-email', email('bob'));
    await page.fill('#user-id', 'not a matrix id');
    expect(await submit(page, 'Use this account')).toBe(400);
    expect(await page.textContent('[role=alert]')).toMatch(/A Matrix ID looks like @name:example.com/);
    await page.fill('#link-email', email('bob'));
    await page.fill('#user-id', existing.userId);
    expect(await submit(page, 'Use this account')).toBe(200);
    expect(await page.textContent('body')).toContain('accept the invitation in your Matrix client');
    await page.close();

    expect(await waitForInvite(bob, { roomId: space.matrix.spaceRoomId })).toBe(space.matrix.spaceRoomId);
    await bob.joinRoom(space.matrix.spaceRoomId);
    await waitForMembership(bob, space.matrix.spaceRoomId, existing.userId, 'join');
    const { body } = await api.get(`/spaces/${space.id}/agents`);
    expect(body.agents.map((a: { userId: string; role: string }) => [a.userId, a.role])).toContainEqual([
      existing.userId,
      'agent',
    ]);
    // An agent is not in the control room.
    expect(bob.getRoom(space.matrix.controlRoomId)).toBeNull();
  });

  it('shows clear pages for revoked, unknown and expired links', async () => {
    const page = await context.newPage();
    const dave = await linkFor('dave');
    const list = (await api.get(`/spaces/${space.id}/invitations`)).body.invitations;
    const daveId = list.find((i: { email: string }) => i.email === email('dave')).id;
    await api.post(`/spaces/${space.id}/invitations/${daveId}/revoke`);
    expect((await page.goto(dave.link))?.status()).toBe(410);
    expect(await page.textContent('body')).toContain('This invitation was withdrawn');

    const unknown = `${env.config.publicUrl}/invitations/${randomBytes(32).toString('base64url')}`;
    expect((await page.goto(unknown))?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Invitation not found');
    expect((await page.goto(`${env.config.publicUrl}/invitations/short`))?.status()).toBe(404);

    const carol = await linkFor('carol');
    offsetMs = 73 * 3600_000;
    try {
      expect((await page.goto(carol.link))?.status()).toBe(410);
      expect(await page.textContent('body')).toMatch(/This invitation expired on .*Ask whoever invited you/);
      const expired = await api.request('GET', `/spaces/${space.id}/invitations?status=expired`);
      expect(expired.body.invitations.map((i: { email: string }) => i.email)).toEqual([email('carol')]);
      // An expired invitation no longer reserves a seat.
      expect((await api.get(`/spaces/${space.id}/seats`)).body).toEqual({
        limit: 5,
        used: 2,
        pending: 0,
        available: 3,
      });
      // Resending renews it: a new link valid for another period, and the seat reserved again.
      const carolId = expired.body.invitations[0].id;
      const renewed = await api.post(`/spaces/${space.id}/invitations/${carolId}/resend`);
      expect(renewed.body).toMatchObject({ status: 'pending', emailStatus: 'queued' });
      expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThan(clock.now().getTime() + 71 * 3600_000);
      expect((await api.get(`/spaces/${space.id}/seats`)).body).toMatchObject({ pending: 1, available: 2 });
      const fresh = linkIn(
        await smtp.waitForEmail((m) => sentTo(email('carol'))(m) && linkIn(m).token !== carol.token),
      );
      expect((await page.goto(fresh.link))?.status()).toBe(200);
      expect((await page.goto(carol.link))?.status()).toBe(404);
    } finally {
      offsetMs = 0;
    }
    await page.close();
  });

  it('refuses forged and flooding form posts', async () => {
    const carol = await linkFor('carol');
    const forged = await fetch(carol.link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'link', email: email('carol'), userId: '@mallory:localhost' }),
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('The form had expired or was not sent from this page');
    expect((await api.get(`/spaces/${space.id}/agents`)).body.agents).toHaveLength(2);

    let status = 0;
    for (let i = 0; i < 45 && status !== 429; i++) {
      status = (await fetch(carol.link, { method: 'POST', body: new URLSearchParams({ action: 'x' }) }))
        .status;
    }
    expect(status).toBe(429);
  });
});
