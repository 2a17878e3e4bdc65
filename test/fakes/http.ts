import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/*
 * Shared machinery of the carrier fakes (twilio.ts, meta.ts): a real HTTP server on a free port,
 * a record of every request, per-route fault injection switchable at runtime, a seeded random
 * source (reproducible failure rates), and a poster for signed webhooks.
 *
 * Faults (FaultRule.kind):
 *   '5xx-html'        an HTML error page from a proxy (status 502 unless given)
 *   '5xx-json'        the provider's own JSON error body (status 503 unless given)
 *   '429'             Too Many Requests, with Retry-After only when `retryAfter` is given
 *   'hang'            no answer until `hangMs` passes (then the socket is closed) or the fake stops
 *   'reset'           the connection is destroyed without an answer
 *   'malformed-json'  a success status with a truncated JSON body
 *   'error'           the provider's error body for `code` (e.g. 21610, 131047), with its usual status
 * `times` limits a rule to its next N matching requests (default: until clearFaults()). With
 * `afterAccept: true` on a send, the message is accepted (recorded in `sent`, status callbacks
 * possible) and only then the answer is broken: the "carrier took it but we never heard" case.
 */

export type FaultKind = '5xx-html' | '5xx-json' | '429' | 'hang' | 'reset' | 'malformed-json' | 'error';

export interface FaultRule<Route extends string = string> {
  route: Route | 'any';
  kind: FaultKind;
  /** How many matching requests this rule applies to; default: until cleared. */
  times?: number;
  /** HTTP status for 5xx faults. */
  status?: number;
  /** 429 only: the Retry-After header (seconds, or an HTTP date). Omitted: no header. */
  retryAfter?: number | string;
  /** 'error' only: the provider's error code. */
  code?: number;
  /** 'hang' only: close the socket after this long (default: hold until the fake stops). */
  hangMs?: number;
  /** Sends only: accept the message first, then break the answer. */
  afterAccept?: boolean;
}

export const TRANSIENT_FAULTS: readonly FaultKind[] = [
  '5xx-html',
  '5xx-json',
  '429',
  'reset',
  'malformed-json',
];

/** mulberry32: a small, fast, seedable generator; the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in an order decided by `seed`. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface FailRateOptions<Route extends string> {
  /** Which route the rate applies to (default 'send'). */
  route?: Route | 'any';
  /** Faults drawn from (default TRANSIENT_FAULTS). */
  kinds?: readonly FaultKind[];
  /** 'error' kinds in `kinds` use these codes, drawn at random. */
  codes?: readonly number[];
}

export class Faults<Route extends string> {
  private rules: (FaultRule<Route> & { remaining: number })[] = [];
  private rate: { rate: number; random: () => number; options: Required<FailRateOptions<Route>> } | undefined;

  add(rule: FaultRule<Route>): void {
    this.rules.push({ ...rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  setRate(rate: number, seed: number, options: FailRateOptions<Route> = {}): void {
    if (rate < 0 || rate > 1) throw new Error(`failure rate must be within 0..1, got ${rate}`);
    this.rate = {
      rate,
      random: seededRandom(seed),
      options: {
        route: options.route ?? ('send' as Route),
        kinds: options.kinds ?? TRANSIENT_FAULTS,
        codes: options.codes ?? [],
      },
    };
  }

  clear(): void {
    this.rules = [];
    this.rate = undefined;
  }

  /** The fault for this request, if any (each call consumes one use of a counted rule). */
  next(route: Route): FaultRule<Route> | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && (r.route === route || r.route === 'any'));
    if (rule) {
      rule.remaining--;
      return rule;
    }
    const rate = this.rate;
    if (!rate || (rate.options.route !== route && rate.options.route !== 'any')) return undefined;
    if (rate.random() >= rate.rate) return undefined;
    const kind = rate.options.kinds[Math.floor(rate.random() * rate.options.kinds.length)]!;
    const code = rate.options.codes.length
      ? rate.options.codes[Math.floor(rate.random() * rate.options.codes.length)]
      : undefined;
    return {
      route,
      kind,
      ...(kind === '429' ? { retryAfter: 1 } : {}),
      ...(code !== undefined ? { code } : {}),
    };
  }
}

export interface RecordedRequest<Route extends string = string> {
  route: Route | 'unknown';
  method: string;
  /** Path and query as received. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The fault applied to this request, if any. */
  fault?: FaultKind;
  at: Date;
}

/** The record of a request as it came in (the fault applied, if any, is set afterwards). */
export function recordRequest<Route extends string>(
  route: Route | 'unknown',
  req: IncomingMessage,
  body: Buffer,
): RecordedRequest<Route> {
  return {
    route,
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: req.headers,
    body,
    at: new Date(),
  };
}

/** What a webhook poster got back from the bridge. */
export interface WebhookResult {
  status: number;
  contentType: string | undefined;
  body: string;
}

export async function postWebhook(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  method = 'POST',
): Promise<WebhookResult> {
  const response = await fetch(url, {
    method,
    headers,
    ...(method === 'GET' ? {} : { body: typeof body === 'string' ? body : new Uint8Array(body) }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    body: await response.text(),
  };
}

export function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export interface FaultBodies {
  /** The provider's JSON error for a server fault. */
  serverError(status: number): unknown;
  /** The provider's JSON body for 429. */
  throttled(): unknown;
  /** Status and body of a provider error code. */
  error(code: number): { status: number; body: unknown; headers?: Record<string, string> };
  /** The status of a success on this route (for malformed-json). */
  successStatus: number;
}

/**
 * Answers with a fault. 'hang' keeps the socket (closed by stop() or after hangMs); the others
 * answer or destroy at once.
 */
export function respondWithFault(
  fault: FaultRule,
  req: IncomingMessage,
  res: ServerResponse,
  bodies: FaultBodies,
): void {
  switch (fault.kind) {
    case 'hang':
      if (fault.hangMs !== undefined) setTimeout(() => req.socket.destroy(), fault.hangMs).unref();
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case '5xx-html': {
      const status = fault.status ?? 502;
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(
        `<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status} Bad Gateway</h1></center></body></html>`,
      );
      return;
    }
    case '5xx-json': {
      const status = fault.status ?? 503;
      sendJson(res, status, bodies.serverError(status));
      return;
    }
    case '429':
      sendJson(
        res,
        429,
        bodies.throttled(),
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
      );
      return;
    case 'malformed-json':
      res.writeHead(bodies.successStatus, { 'content-type': 'application/json' });
      res.end('{"id": "0123456789", "status": "que'); // cut short
      return;
    case 'error': {
      if (fault.code === undefined) throw new Error("an 'error' fault needs a code");
      const e = bodies.error(fault.code);
      sendJson(res, e.status, e.body, e.headers);
      return;
    }
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void> | void;

/** A node:http server on a free loopback port that can always be stopped, hanging requests included. */
export class FakeServer {
  readonly server: Server;
  private readonly sockets = new Set<Socket>();
  baseUrl = '';

  constructor(handler: Handler) {
    this.server = createServer((req, res) => {
      readRequestBody(req)
        .then((body) => handler(req, res, body))
        .catch((err: unknown) => {
          if (!res.headersSent) sendJson(res, 500, { fakeError: String(err) });
          else res.destroy();
        });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => resolve());
    });
    const { port } = this.server.address() as { port: number };
    this.baseUrl = `http://${host}:${port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
