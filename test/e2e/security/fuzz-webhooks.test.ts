import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../harness/env.ts';
import { apiClient, type ApiClient } from '../provisioning/client.ts';
import { randomJson, seeded, type Random } from './random.ts';

/*
 * The carrier webhooks under random and hostile input: random bytes with every content type, signed
 * bodies of random JSON (the parser's job), mutations of a valid message, bad signatures, huge
 * bodies, unknown senders. Never a 5xx or a crash, and nothing stored for a rejected request.
 */

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 300);
const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
];

interface Target {
  segment: string;
  senderId: string;
  sign(body: Buffer, url: string): Record<string, string>;
  valid(r: Random): string;
}

describe('webhook fuzzing', () => {
  let env: TestEnv;
  let api: ApiClient;
  let publicUrl: string;
  const targets: Target[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    api = apiClient(env);
    publicUrl = env.config.publicUrl.replace(/\/+$/, '');
    const space = (await api.post('/spaces', { name: 'Fuzz', seats: 1 })).body as { id: string };
    const add = async (provider: string, channel: string, address: string, credentials: object) => {
      const res = await api.post(`/spaces/${space.id}/senders`, {
        channel,
        address,
        provider,
        mode: 'chatbot',
        bidirectional: true,
        credentials,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return (res.body as { id: string }).id;
    };
    const secret = randomBytes(16).toString('hex');
    targets.push({
      segment: 'simulator',
      senderId: await add('simulator', 'sms', '+14155550160', { secret }),
      sign: (body) => ({
        'x-simulator-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      }),
      valid: (r) =>
        JSON.stringify({
          messages: [
            { id: `MO${r.int(1e9)}`, from: '+14155550123', text: r.string(40), timestamp: Date.now() },
          ],
        }),
    });
    const authToken = randomBytes(16).toString('hex');
    targets.push({
      segment: 'twilio',
      senderId: await add('twilio', 'sms', '+14155550161', {
        accountSid: `AC${randomBytes(16).toString('hex')}`,
        authToken,
      }),
      sign: (body, url) => {
        const params = [...new URLSearchParams(body.toString('utf8'))].sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        );
        const data = url + params.map(([k, v]) => k + v).join('');
        return { 'x-twilio-signature': createHmac('sha1', authToken).update(data).digest('base64') };
      },
      valid: (r) =>
        new URLSearchParams({
          MessageSid: `SM${randomBytes(16).toString('hex')}`,
          From: '+14155550123',
          To: '+14155550161',
          Body: r.string(30),
          NumMedia: '0',
        }).toString(),
    });
    const appSecret = randomBytes(16).toString('hex');
    targets.push({
      segment: 'whatsapp',
      senderId: await add('whatsapp-cloud', 'whatsapp', '+14155550162', {
        phoneNumberId: '1234567890',
        accessToken: randomBytes(16).toString('hex'),
        appSecret,
        verifyToken: 'verify-me-please',
      }),
      sign: (body) => ({
        'x-hub-signature-256': `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`,
      }),
      valid: (r) =>
        JSON.stringify({
          object: 'whatsapp_business_account',
          entry: [
            {
              id: '1',
              changes: [
                {
                  field: 'messages',
                  value: {
                    messaging_product: 'whatsapp',
                    metadata: { phone_number_id: '1234567890', display_phone_number: '14155550162' },
                    contacts: [{ wa_id: '14155550123', profile: { name: r.string(8) } }],
                    messages: [
                      {
                        id: `wamid.${r.int(1e9)}`,
                        from: '14155550123',
                        timestamp: String(Math.floor(Date.now() / 1000)),
                        type: 'text',
                        text: { body: r.string(30) },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        }),
    });
  });

  afterAll(async () => {
    await env?.stop();
  });

  it(`answers ${ROUNDS * 6} hostile requests per provider with 4xx (or 2xx for a correctly signed one), storing only what it acknowledged`, async () => {
    const r = seeded(20260501);
    const db = env.bridge!.context.db;
    const stored = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            'SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM delivery_statuses) AS n',
          )
        ).rows[0]!.n,
      );
    const statuses = new Map<number, number>();
    let writtenOnRejection = 0;
    let tried = 0;
    for (const target of targets) {
      const url = `${publicUrl}/webhooks/${target.segment}/${target.senderId}`;
      const send = async (body: Buffer, headers: Record<string, string>, expectStored?: boolean) => {
        const before = await stored();
        const res = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body) });
        await res.arrayBuffer();
        tried++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${target.segment}: ${body.subarray(0, 200).toString()}`).toBeLessThan(500);
        if (res.status >= 400 && (await stored()) !== before) writtenOnRejection++;
        if (expectStored === false) expect(await stored()).toBe(before);
        return res.status;
      };
      for (let i = 0; i < ROUNDS; i++) {
        const type = r.pick(CONTENT_TYPES);
        const ct: Record<string, string> = type ? { 'content-type': type } : {};
        // 1. Random bytes, unsigned and signed.
        const noise = randomBytes(r.int(2000));
        await send(noise, ct, false);
        await send(noise, { ...ct, ...target.sign(noise, url) });
        // 2. Random JSON, correctly signed: only the parser stands in the way.
        const json = Buffer.from(JSON.stringify(randomJson(r, 4)));
        await send(json, { 'content-type': 'application/json', ...target.sign(json, url) });
        // 3. A valid message, mutated, correctly signed.
        const valid = Buffer.from(target.valid(r));
        const mutated = Buffer.from(valid);
        for (let m = 0; m < 1 + r.int(5); m++) mutated[r.int(mutated.length)] = r.int(256);
        const form = target.segment === 'twilio' ? 'application/x-www-form-urlencoded' : 'application/json';
        await send(mutated, { 'content-type': form, ...target.sign(mutated, url) });
        // 4. A valid message with a bad signature.
        const forged = target.sign(Buffer.from(`${valid.toString()} `), url);
        expect(await send(valid, { 'content-type': form, ...forged }, false)).toBe(403);
        // 5. Unknown sender.
        const other = await fetch(
          `${publicUrl}/webhooks/${target.segment}/${r.pick(['x', '00000000-0000-4000-8000-000000000000', '../..', '%00'])}`,
          {
            method: 'POST',
            headers: { 'content-type': form, ...target.sign(valid, url) },
            body: new Uint8Array(valid),
          },
        );
        await other.arrayBuffer();
        tried++;
        expect(other.status).toBeLessThan(500);
      }
      // Huge body.
      const huge = Buffer.alloc(3 * 1024 * 1024, 'a');
      expect(await send(huge, { 'content-type': 'application/json', ...target.sign(huge, url) }, false)).toBe(
        413,
      );
    }
    console.log(
      `webhook fuzzing: ${tried} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(writtenOnRejection).toBe(0);
    // The bridge still answers.
    expect((await fetch(`${env.bridge!.appserviceUrl}/ready`)).status).toBe(200);
  });
});
