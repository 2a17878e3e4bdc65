import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../harness/env.ts';
import { startSmtpCapture, type SmtpCapture } from '../../harness/smtp.ts';
import { apiClient, simulatorCredentials, type ApiClient } from '../provisioning/client.ts';
import { fromSchema, randomJson, seeded } from './random.ts';

/*
 * The provisioning API, every route taken from its own OpenAPI document (a route added later is
 * covered without touching this file):
 * - isolation: a space's resources are addressed under another space's ID → 404, nothing changes;
 * - fuzzing: bodies generated from each route's schema, some with mistakes, and random JSON:
 *   never a 5xx, and a rejected request writes no row.
 */

type Operation = { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } };
type Document = { paths: Record<string, Record<string, Operation>> };

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 300);

describe('provisioning API: isolation and fuzzing', () => {
  let env: TestEnv;
  let smtp: SmtpCapture;
  let api: ApiClient;
  let doc: Document;
  let spaceA: string;
  let spaceB: string;
  /** A resource of space A for each path parameter naming one. */
  const ofA: Record<string, string> = {};

  /** Rows the API writes (the email worker's own columns of invitations change on their own). */
  async function fingerprint(): Promise<string> {
    const db = env.bridge!.context.db;
    const { rows } = await db.query<{ h: string }>(
      `SELECT md5(string_agg(x, '|' ORDER BY x)) AS h FROM (
         SELECT 'spaces' || s::text AS x FROM spaces s UNION ALL SELECT 'senders' || s::text FROM senders s
         UNION ALL SELECT 'agents' || a::text FROM agents a UNION ALL SELECT 'invitations' || (i.id, i.space_id, i.email, i.name, i.phone, i.role, i.status, i.token_hash, i.expires_at)::text FROM invitations i
         UNION ALL SELECT 'campaigns' || c::text FROM campaigns c
         UNION ALL SELECT 'conversations' || c::text FROM conversations c UNION ALL SELECT 'contacts' || c::text FROM contacts c
         UNION ALL SELECT 'space_tags' || t::text FROM space_tags t UNION ALL SELECT 'contact_tags' || t::text FROM contact_tags t
         UNION ALL SELECT 'contact_attributes' || a::text FROM contact_attributes a
         UNION ALL SELECT 'contact_notes' || n::text FROM contact_notes n
       ) t`,
    );
    return rows[0]!.h;
  }

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    env = await createTestEnv({
      configure: (input) => ({
        ...input,
        smtp: { host: smtp.host, port: smtp.port, secure: false, from: 'Live chat <livechat@example.com>' },
      }),
    });
    api = apiClient(env);
    doc = (await api.get('/openapi.json')).body as Document;
    spaceA = ((await api.post('/spaces', { name: 'A', seats: 3 })).body as { id: string }).id;
    spaceB = ((await api.post('/spaces', { name: 'B', seats: 3 })).body as { id: string }).id;
    const sender = await api.post(`/spaces/${spaceA}/senders`, {
      channel: 'sms',
      address: '+14155550170',
      provider: 'simulator',
      mode: 'chatbot',
      bidirectional: true,
      credentials: simulatorCredentials(),
    });
    ofA.senderId = (sender.body as { id: string }).id;
    const campaign = await api.post(`/spaces/${spaceA}/campaigns`, {
      name: 'Isolation',
      senderId: ofA.senderId,
      keywords: ['isolation'],
      flow: readFileSync(new URL('../../../bot/flows/examples/help-package.yaml', import.meta.url), 'utf8'),
    });
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
    ofA.campaignId = (campaign.body as { id: string }).id;
    const invited = await api.post(`/spaces/${spaceA}/invitations`, {
      invitations: [{ name: 'Ann', email: 'ann@example.com', role: 'agent' }],
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    const tag = await api.post(`/spaces/${spaceA}/tags`, { name: 'vip' });
    expect(tag.status, JSON.stringify(tag.body)).toBe(201);
    ofA.name = 'vip';
    ofA.invitationId = (invited.body as { invitations: { id: string }[] }).invitations[0]!.id;
    const db = env.bridge!.context.db;
    ofA.agentId = (
      await db.query<{ id: string }>(
        `INSERT INTO agents (space_id, user_id, role) VALUES ($1, '@ann:localhost', 'agent') RETURNING id`,
        [spaceA],
      )
    ).rows[0]!.id;
    const contact = (
      await db.query<{ id: string }>(
        `INSERT INTO contacts (space_id, channel, address, address_kind, ghost_localpart)
         VALUES ($1, 'sms', '+14155550171', 'e164', $2) RETURNING id`,
        [spaceA, `_iso_${randomUUID().slice(0, 8)}`],
      )
    ).rows[0]!.id;
    ofA.conversationId = (
      await db.query<{ id: string }>(
        `INSERT INTO conversations (space_id, sender_id, contact_id) VALUES ($1, $2, $3) RETURNING id`,
        [spaceA, ofA.senderId, contact],
      )
    ).rows[0]!.id;
  });

  afterAll(async () => {
    await env?.stop();
    await smtp?.stop();
  });

  it("answers 404 to every route given another space's resource, and changes nothing", async () => {
    const before = await fingerprint();
    const tried: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      // Only a space ID (nothing of another space to name) or no space at all: nothing to cross.
      if (!params.includes('id') || params.length < 2 || !path.startsWith('/spaces/')) continue;
      for (const method of Object.keys(methods)) {
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
          if (name === 'id') return spaceB;
          const id = ofA[name];
          if (!id)
            throw new Error(`${method.toUpperCase()} ${path}: no fixture for {${name}}; add one to ofA`);
          return id;
        });
        const res = await api.request(
          method.toUpperCase(),
          url,
          method === 'get' || method === 'delete' ? undefined : {},
        );
        tried.push(`${method.toUpperCase()} ${path} → ${res.status}`);
        expect(res.status, `${method.toUpperCase()} ${path}: ${JSON.stringify(res.body)}`).toBe(404);
        expect((res.body as { errcode: string }).errcode).toBeTypeOf('string');
      }
    }
    console.log(`cross-space requests:\n  ${tried.join('\n  ')}`);
    expect(tried.length).toBeGreaterThanOrEqual(10);
    expect(await fingerprint()).toBe(before);
  });

  it(`takes ${ROUNDS} generated bodies per writing route without a 5xx, writing nothing when it refuses`, async () => {
    const r = seeded(77);
    const statuses = new Map<number, number>();
    let tried = 0;
    let writtenOnRejection = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const schema = op.requestBody?.content['application/json']?.schema;
        if (!schema) continue;
        for (let i = 0; i < ROUNDS; i++) {
          const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
            name === 'id' ? r.pick([spaceA, spaceA, randomUUID(), 'x']) : (ofA[name] ?? randomUUID()),
          );
          const body = r.next() < 0.2 ? randomJson(r, 3) : fromSchema(r, schema, r.pick([0, 0.05, 0.2]));
          const raw = r.next() < 0.05 ? JSON.stringify(body).slice(0, -1) : undefined;
          const before = await fingerprint();
          const res = await api.request(method.toUpperCase(), url, body, raw !== undefined ? { raw } : {});
          tried++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(
            res.status,
            `${method.toUpperCase()} ${url} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`,
          ).toBeLessThan(500);
          if (res.status >= 400) {
            expect((res.body as { errcode?: string }).errcode).toBeTypeOf('string');
            if ((await fingerprint()) !== before) {
              writtenOnRejection++;
              console.log(
                `written on rejection: ${method.toUpperCase()} ${url} ${res.status} ${JSON.stringify(body)}`,
              );
            }
          }
        }
      }
    }
    console.log(
      `provisioning fuzzing: ${tried} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(writtenOnRejection).toBe(0);
  }, 600_000);
});
