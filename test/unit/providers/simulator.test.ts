import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorProvider, simulatorSignature } from '../../../bridge/providers/simulator/provider.ts';
import { ProviderError, type SenderInfo, type WebhookRequest } from '../../../bridge/providers/types.ts';

const sender: SenderInfo = {
  id: 'sender-1',
  spaceId: 'space-1',
  channel: 'whatsapp',
  address: '+5500112233',
  addressKind: 'e164',
  credentials: { secret: 'a-very-secret-simulator-key' },
};

function request(body: string, signature?: string): WebhookRequest {
  return {
    method: 'POST',
    url: 'http://localhost/webhooks/simulator/sender-1',
    headers: signature === undefined ? {} : { 'x-simulator-signature': signature },
    query: {},
    rawBody: Buffer.from(body),
  };
}

describe('simulator provider', () => {
  let server: Server;
  let base: string;
  const received: { path: string; signature: string | undefined; body: Record<string, unknown> }[] = [];
  let nextStatus = 201;
  let nextBody: unknown = { id: 'sim-1', status: 'sent' };
  let nextHeaders: Record<string, string> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          signature: req.headers['x-simulator-signature'] as string,
          body: JSON.parse(data || '{}'),
        });
        res.writeHead(nextStatus, { 'content-type': 'application/json', ...nextHeaders });
        res.end(JSON.stringify(nextBody));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const provider = () => createSimulatorProvider({ baseUrl: base, timeoutMs: 2000 });

  it('verifies the signature over the raw bytes, in either direction of tampering', () => {
    const body = '{"messages":[{"id":"m1","from":"+14155550100","text":"h\\u00e9llo"}]}';
    const good = simulatorSignature('a-very-secret-simulator-key', body);
    expect(provider().verify(sender, request(body, good))).toBe(true);
    expect(provider().verify(sender, request(`${body} `, good))).toBe(false);
    expect(
      provider().verify(sender, request(body, simulatorSignature('another-secret-key-here', body))),
    ).toBe(false);
    expect(provider().verify(sender, request(body))).toBe(false);
    expect(provider().verify(sender, request(body, 'sha256=00'))).toBe(false);
  });

  it('parses messages and statuses, normalizing the customer address', () => {
    const body = JSON.stringify({
      messages: [
        {
          id: 'm1',
          from: '14155550100',
          profileName: 'Ana',
          text: 'Help Package',
          reply: { id: 'opt-1', title: 'Track' },
        },
      ],
      statuses: [{ id: 'sim-9', status: 'failed', error: { code: 'opted-out', message: 'STOP received' } }],
    });
    const items = provider().parse(sender, request(body));
    expect(items[0]).toMatchObject({
      kind: 'message',
      providerMessageId: 'm1',
      from: { address: '+14155550100', kind: 'e164', profileName: 'Ana' },
      text: 'Help Package',
      reply: { id: 'opt-1', title: 'Track' },
    });
    expect(items[1]).toMatchObject({
      kind: 'status',
      status: 'failed',
      error: { kind: 'opted-out', permanent: true },
    });
  });

  it('says which field is wrong in a malformed body', () => {
    expect(() => provider().parse(sender, request('{"messages":[{"from":"x"}]}'))).toThrow(/messages\.0\.id/);
    expect(() => provider().parse(sender, request('not json'))).toThrow(/not JSON/);
  });

  it('sends signed, and classifies errors', async () => {
    nextStatus = 201;
    nextBody = { id: 'sim-1', status: 'sent' };
    const result = await provider().send(sender, { to: '+14155550100', text: 'hi', idempotencyKey: 'k1' });
    expect(result).toEqual({ providerMessageId: 'sim-1', status: 'sent' });
    const last = received.at(-1)!;
    expect(last.path).toBe('/api/senders/sender-1/messages');
    expect(last.signature).toBe(simulatorSignature('a-very-secret-simulator-key', JSON.stringify(last.body)));

    nextStatus = 400;
    nextBody = { error: { code: 'window-closed', message: 'outside the 24h window' } };
    const closed = await provider()
      .send(sender, { to: '+1', text: 'x', idempotencyKey: 'k2' })
      .catch((e: unknown) => e);
    expect((closed as ProviderError).failure).toMatchObject({ kind: 'window-closed', permanent: true });

    nextStatus = 429;
    nextHeaders = { 'retry-after': '7' };
    nextBody = { error: { code: 'throttled', message: 'slow down' } };
    const throttled = await provider()
      .send(sender, { to: '+1', text: 'x', idempotencyKey: 'k3' })
      .catch((e: unknown) => e);
    expect((throttled as ProviderError).failure).toMatchObject({
      kind: 'throttled',
      permanent: false,
      retryAfterMs: 7000,
    });

    nextStatus = 502;
    nextHeaders = {};
    nextBody = '<html>bad gateway</html>';
    const down = await provider()
      .send(sender, { to: '+1', text: 'x', idempotencyKey: 'k4' })
      .catch((e: unknown) => e);
    expect((down as ProviderError).failure).toMatchObject({ kind: 'unavailable', permanent: false });
  });

  it('reports an unreachable simulator as retryable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const offline = createSimulatorProvider({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 500 });
    const err = await offline
      .send(sender, { to: '+1', text: 'x', idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).failure).toMatchObject({
      kind: 'unavailable',
      code: 'ECONNREFUSED',
      permanent: false,
    });
  });
});
