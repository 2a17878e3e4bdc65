import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendJson } from './carrier.ts';
import type { PhoneMessage } from './history.ts';
import { PAGE_SCRIPT, phonePage } from './page.ts';
import type { PhoneSimulator } from './simulator.ts';

/*
 * The phone page's routes: the page, its script, a Server-Sent Events stream of the messages, the
 * media, and the customer's actions. The page is a local tool bound to loopback; its POSTs take
 * JSON or a custom header only, which a form on another site cannot send without CORS consent.
 */

const messageBody = z.strictObject({
  senderId: z.string().min(1),
  from: z.string().regex(/\d{3,}/, 'must be a phone number'),
  profileName: z.string().max(100).optional(),
  text: z.string().max(4096).optional(),
  mediaKey: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional(),
  filename: z.string().max(200).optional(),
  reply: z.strictObject({ id: z.string().min(1), title: z.string() }).optional(),
  inReplyTo: z.string().optional(),
  location: z
    .strictObject({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
});

const idsBody = z.strictObject({ ids: z.array(z.string()).max(500) });

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw Object.assign(new Error('send JSON'), { status: 415 });
  }
  try {
    return JSON.parse((await readBody(req, 1 << 20)).toString('utf8'));
  } catch {
    throw Object.assign(new Error('the body is not JSON'), { status: 400 });
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw Object.assign(new Error(`${issue.path.join('.') || 'body'}: ${issue.message}`), { status: 400 });
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export function pageRoutes(phone: PhoneSimulator) {
  const streams = new Set<ServerResponse>();
  phone.history.onChange((message: PhoneMessage) => {
    for (const res of streams) sse(res, 'message', message);
  });

  const snapshot = () => ({ senders: phone.senderList(), messages: phone.history.list() });

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://phone');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'self'; img-src 'self' data: blob: http: https:; media-src 'self' http: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      });
      res.end(phonePage(phone.senderList(), url.searchParams));
      return true;
    }
    if (req.method === 'GET' && path === '/page/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE_SCRIPT);
      return true;
    }
    if (req.method === 'GET' && path === '/page/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      sse(res, 'snapshot', snapshot());
      streams.add(res);
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(ping);
        streams.delete(res);
      });
      return true;
    }
    if (req.method === 'GET' && path === '/page/api/state') {
      sendJson(res, 200, snapshot());
      return true;
    }
    const media = /^\/page\/media\/([0-9a-f]{24})$/.exec(path);
    if (req.method === 'GET' && media) {
      const found = await phone.history.mediaData(media[1]!);
      if (!found) {
        sendJson(res, 404, { error: { code: 'rejected', message: 'no such file' } });
        return true;
      }
      res.writeHead(200, {
        'content-type': found.mimeType,
        'content-length': String(found.data.length),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      });
      res.end(found.data);
      return true;
    }
    if (req.method !== 'POST' || !path.startsWith('/page/api/')) return false;
    switch (path) {
      case '/page/api/media': {
        if (req.headers['x-phone-page'] !== '1')
          throw Object.assign(new Error('not from the page'), { status: 403 });
        const type = String(req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!;
        const key = await phone.uploadMedia(await readBody(req, 16 << 20), type);
        sendJson(res, 201, { key });
        return true;
      }
      case '/page/api/messages': {
        const body = parse(messageBody, await jsonBody(req));
        if (!body.text && !body.mediaKey && !body.reply && !body.location) {
          throw Object.assign(new Error('a message needs text, a file, a reply or a location'), {
            status: 400,
          });
        }
        sendJson(res, 202, await phone.customerSends(body));
        return true;
      }
      case '/page/api/delivered':
        phone.delivered(parse(idsBody, await jsonBody(req)).ids);
        sendJson(res, 200, {});
        return true;
      case '/page/api/read':
        phone.read(parse(idsBody, await jsonBody(req)).ids);
        sendJson(res, 200, {});
        return true;
      default:
        return false;
    }
  };
}
