import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../harness/env.ts';
import { startSmtpCapture, type SmtpCapture } from '../../harness/smtp.ts';
import { apiClient, simulatorCredentials, UNKNOWN_ID, type ApiClient } from './client.ts';
import { linkIn } from './links.ts';

const to = (address: string) => (mail: ParsedMail) =>
  (Array.isArray(mail.to) ? mail.to : [mail.to]).some((a) => a?.text.includes(address));

describe('provisioning API: seats and invitations', () => {
  let env: TestEnv;
  let api: ApiClient;
  let smtp: SmtpCapture;
  // Recipients the SMTP server refuses (451: try later; 550: never).
  const refuse = new Map<string, number>();

  beforeAll(async () => {
    smtp = await startSmtpCapture({ rejectRecipient: (address) => refuse.get(address) });
    env = await createTestEnv({
      configure: (input) => ({
        ...input,
        smtp: { host: smtp.host, port: smtp.port, secure: false, from: 'Live chat <livechat@example.com>' },
      }),
    });
    api = apiClient(env);
  });
  afterAll(async () => {
    await env?.stop();
    await smtp?.stop();
  });

  const person = (n: number, role: 'agent' | 'admin' = 'agent') => ({
    name: `Agent ${n}`,
    email: `agent${n}@orders.example`,
    role,
  });

  it('Orders: 10 seats fill up through invitations; the 11th is refused', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Orders', seats: 10 });
    const sender = await api.post(`/spaces/${space.id}/senders`, {
      channel: 'whatsapp',
      address: '5500112233',
      provider: 'simulator',
      mode: 'livechat',
      bidirectional: true,
      credentials: simulatorCredentials(),
    });
    expect(sender.status).toBe(201);

    const first = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [person(1, 'admin'), person(2), person(3), person(4)],
    });
    expect(first.status).toBe(201);
    expect(first.body.seats).toEqual({ limit: 10, used: 0, pending: 4, available: 6 });
    expect(first.body.invitations).toHaveLength(4);
    expect(first.body.invitations[0]).toMatchObject({
      email: 'agent1@orders.example',
      name: 'Agent 1',
      role: 'admin',
      status: 'pending',
      spaceId: space.id,
    });
    const ttl = Date.parse(first.body.invitations[0].expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(71 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(72 * 3600_000);

    // All or nothing: 7 do not fit in 6.
    const tooMany = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [5, 6, 7, 8, 9, 10, 11].map((n) => person(n)),
    });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body).toMatchObject({ errcode: 'LC_NO_SEATS', requested: 7, available: 6 });
    expect((await api.get(`/spaces/${space.id}/seats`)).body.available).toBe(6);

    const second = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [5, 6, 7].map((n) => person(n)),
    });
    expect(second.body.seats.available).toBe(3);
    const third = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [8, 9, 10].map((n) => person(n)),
    });
    expect(third.body.seats).toEqual({ limit: 10, used: 0, pending: 10, available: 0 });

    const eleventh = await api.post(`/spaces/${space.id}/invitations`, { invitations: [person(11)] });
    expect(eleventh.status).toBe(409);
    expect(eleventh.body).toMatchObject({ errcode: 'LC_NO_SEATS', requested: 1, available: 0 });
    expect((await api.get(`/spaces/${space.id}/invitations`)).body.invitations).toHaveLength(10);
    // The space cannot shrink below its reservations either.
    expect((await api.patch(`/spaces/${space.id}`, { seats: 9 })).body).toMatchObject({
      errcode: 'LC_SEATS_IN_USE',
      used: 0,
      pending: 10,
    });

    // Every invitation got its email, with its own link; the token is stored only as a hash.
    for (let n = 1; n <= 10; n++) {
      const mail = await smtp.waitForEmail(to(`agent${n}@orders.example`));
      expect(mail.subject).toBe('You are invited to Orders (live chat)');
      expect(mail.text).toContain(n === 1 ? 'as an admin' : 'as an agent');
      expect(mail.html).toContain('<strong>Orders</strong>');
      const { link, token } = linkIn(mail);
      expect(link).toBe(`${env.config.publicUrl}/invitations/${token}`);
      expect(mail.html).toContain(`href="${link}"`);
      const hash = createHash('sha256').update(token).digest();
      const row = await env.bridge!.context.db.query('SELECT email FROM invitations WHERE token_hash = $1', [
        hash,
      ]);
      expect(row.rows[0]!.email).toBe(`agent${n}@orders.example`);
    }
    const stored = await env.bridge!.context.db.query(
      `SELECT (SELECT json_agg(i)::text FROM invitations i) || (SELECT json_agg(e)::text FROM invitation_emails e) AS dump`,
    );
    for (const mail of smtp.messages) expect(stored.rows[0]!.dump).not.toContain(linkIn(mail).token);
    const listed = await api.request('GET', `/spaces/${space.id}/invitations?status=pending`);
    expect(listed.body.invitations.every((i: { emailStatus: string }) => i.emailStatus === 'sent')).toBe(
      true,
    );
  });

  it('validates every entry first and names the field', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Support', seats: 5 });
    const cases: [unknown, string][] = [
      [
        { invitations: [person(1), person(2), { name: 'X', email: 'not-an-email', role: 'agent' }] },
        'invitations[2].email: must be an email address',
      ],
      [{ invitations: [{ ...person(1), role: 'boss' }] }, 'invitations[0].role: must be agent or admin'],
      [{ invitations: [{ email: 'a@b.example', role: 'agent' }] }, 'invitations[0].name: required'],
      [{ invitations: [] }, 'invitations: must list at least one invitation'],
      [
        { invitations: [person(1), { ...person(1), name: 'Again' }] },
        'invitations[1].email: listed twice (also invitations[0])',
      ],
      [{}, 'invitations: required'],
    ];
    for (const [body, error] of cases) {
      const res = await api.post(`/spaces/${space.id}/invitations`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ errcode: 'LC_BAD_REQUEST', error });
    }
    expect((await api.get(`/spaces/${space.id}/invitations`)).body.invitations).toEqual([]);
    expect((await api.post(`/spaces/${UNKNOWN_ID}/invitations`, { invitations: [person(1)] })).status).toBe(
      404,
    );
  });

  it('refuses an email already invited or seated in the space (case-insensitive), creating none', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Dupes', seats: 5 });
    await api.post(`/spaces/${space.id}/invitations`, { invitations: [person(1)] });
    const res = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [person(2), { ...person(1), email: 'AGENT1@Orders.Example' }],
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ errcode: 'LC_ALREADY_INVITED', emails: ['agent1@orders.example'] });
    await env.bridge!.context.db.query(
      `INSERT INTO agents (space_id, user_id, role, email) VALUES ($1, '@seated:localhost', 'agent', 'Seated@orders.example')`,
      [space.id],
    );
    const seated = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [{ name: 'S', email: 'seated@orders.example', role: 'agent' }],
    });
    expect(seated.body).toMatchObject({ errcode: 'LC_ALREADY_INVITED', emails: ['seated@orders.example'] });
    expect(seated.body.error).toMatch(/has a seat/);
    expect((await api.get(`/spaces/${space.id}/invitations`)).body.invitations).toHaveLength(1);
    // Another space may invite the same person.
    const { body: other } = await api.post('/spaces', { name: 'Other', seats: 1 });
    expect((await api.post(`/spaces/${other.id}/invitations`, { invitations: [person(1)] })).status).toBe(
      201,
    );
  });

  it('revokes (freeing the seat) and resends (new link, old one dead)', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Revocable', seats: 1 });
    const { body: created } = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [{ name: 'Rae', email: 'rae@example.org', role: 'agent' }],
    });
    const id = created.invitations[0].id;
    const firstMail = await smtp.waitForEmail(to('rae@example.org'));
    const resent = await api.post(`/spaces/${space.id}/invitations/${id}/resend`);
    expect(resent.status).toBe(200);
    expect(Date.parse(resent.body.expiresAt)).toBeGreaterThanOrEqual(
      Date.parse(created.invitations[0].expiresAt),
    );
    const secondMail = await smtp.waitForEmail((m) => to('rae@example.org')(m) && m !== firstMail);
    expect(linkIn(secondMail).token).not.toBe(linkIn(firstMail).token);
    expect((await fetch(linkIn(firstMail).link)).status).toBe(404);
    expect((await fetch(linkIn(secondMail).link)).status).toBe(200);

    const revoked = await api.post(`/spaces/${space.id}/invitations/${id}/revoke`);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await api.get(`/spaces/${space.id}/seats`)).body).toEqual({
      limit: 1,
      used: 0,
      pending: 0,
      available: 1,
    });
    const page = await fetch(linkIn(secondMail).link);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This invitation was withdrawn');
    expect((await api.post(`/spaces/${space.id}/invitations/${id}/revoke`)).status).toBe(200);
    expect((await api.post(`/spaces/${space.id}/invitations/${id}/resend`)).body.errcode).toBe(
      'LC_INVITATION_CLOSED',
    );
    expect(
      (await api.request('GET', `/spaces/${space.id}/invitations?status=revoked`)).body.invitations,
    ).toHaveLength(1);
    expect(
      (await api.request('GET', `/spaces/${space.id}/invitations?status=pending`)).body.invitations,
    ).toHaveLength(0);
    expect((await api.request('GET', `/spaces/${space.id}/invitations?status=nope`)).body.error).toBe(
      'status: must be pending, accepted, revoked or expired',
    );
  });

  it('retries an email the SMTP server cannot take yet, and shows why', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Retry', seats: 2 });
    refuse.set('later@example.org', 451);
    const { body } = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [{ name: 'Later', email: 'later@example.org', role: 'agent' }],
    });
    const path = `/spaces/${space.id}/invitations/${body.invitations[0].id}`;
    await expect
      .poll(async () => (await api.get(path)).body.emailStatus, { timeout: 15_000 })
      .toBe('retrying');
    expect((await api.get(path)).body.emailError).toMatch(/451/);
    refuse.delete('later@example.org');
    await smtp.waitForEmail(to('later@example.org'), 20_000);
    await expect.poll(async () => (await api.get(path)).body.emailStatus, { timeout: 10_000 }).toBe('sent');
    expect((await api.get(path)).body.emailError).toBeNull();
  });

  it('marks an email the server refuses for good as failed', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Bounce', seats: 2 });
    refuse.set('nobody@example.org', 550);
    const { body } = await api.post(`/spaces/${space.id}/invitations`, {
      invitations: [{ name: 'Nobody', email: 'nobody@example.org', role: 'agent' }],
    });
    const path = `/spaces/${space.id}/invitations/${body.invitations[0].id}`;
    await expect.poll(async () => (await api.get(path)).body.emailStatus, { timeout: 15_000 }).toBe('failed');
    expect((await api.get(path)).body.emailError).toMatch(/550[\s\S]*resend to try again/);
    // Still pending: the seat stays reserved until it is revoked or resent.
    expect((await api.get(path)).body.status).toBe('pending');
  });

  it('keeps invitations of one space out of another space', async () => {
    const { body: a } = await api.post('/spaces', { name: 'A', seats: 1 });
    const { body: b } = await api.post('/spaces', { name: 'B', seats: 1 });
    const { body } = await api.post(`/spaces/${a.id}/invitations`, {
      invitations: [{ name: 'Iso', email: 'iso@example.org', role: 'agent' }],
    });
    const id = body.invitations[0].id;
    expect((await api.get(`/spaces/${b.id}/invitations/${id}`)).status).toBe(404);
    expect((await api.post(`/spaces/${b.id}/invitations/${id}/revoke`)).status).toBe(404);
    expect((await api.post(`/spaces/${b.id}/invitations/${id}/resend`)).status).toBe(404);
    expect((await api.get(`/spaces/${b.id}/invitations`)).body.invitations).toEqual([]);
    expect((await api.get(`/spaces/${a.id}/invitations/${id}`)).body.status).toBe('pending');
  });
});
