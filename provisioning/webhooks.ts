import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import type { ProviderRegistry } from '../bridge/providers/index.ts';
import {
  WebhookFormatError,
  type InboundItem,
  type Provider,
  type SenderInfo,
  type WebhookRequest,
  type WebhookResponse,
} from '../bridge/providers/types.ts';
import { errorInfo, logger } from '../bridge/log.ts';

/*
 * The carrier webhook listener: GET|POST /webhooks/{provider}/{senderId}. Every request is checked
 * against the sender's own secret over the raw bytes and the public URL the carrier was given;
 * only what is committed (accept resolves) is acknowledged, so a failure makes the carrier retry
 * instead of losing the message. Bodies and secrets never reach the logs.
 */

const log = logger('provisioning.webhooks');

/** URL segment → provider name. The segment is what operators paste into the carrier's console. */
export const WEBHOOK_PROVIDERS: Readonly<Record<string, string>> = {
  twilio: 'twilio',
  whatsapp: 'whatsapp-cloud',
  simulator: 'simulator',
};

/**
 * A sender as the webhook needs it: SenderInfo plus the provider it is configured with (a sender
 * is only reachable under its own provider's path).
 */
export interface WebhookSender extends SenderInfo {
  provider: string;
}

export interface WebhookRouterOptions {
  /** The public base URL configured at the carriers; signatures cover it, not what a proxy forwarded. */
  publicUrl: string;
  providers: ProviderRegistry;
  lookupSender(senderId: string): Promise<WebhookSender | undefined>;
  /** Commits the items (inbox, deduplicated by provider id); resolves only once they are durable. */
  accept(sender: WebhookSender, items: InboundItem[]): Promise<void>;
}

const BODY_LIMIT = '1mb';

function fail(res: Response, status: number, errcode: string, error: string): void {
  res.status(status).json({ errcode, error });
}

function reply(res: Response, answer: WebhookResponse): void {
  // A handshake echoes caller-chosen text: never let a browser sniff it into something else.
  res.set('x-content-type-options', 'nosniff');
  res.status(answer.status);
  if (answer.contentType) res.type(answer.contentType);
  res.send(answer.body);
}

function webhookRequest(publicUrl: string, req: Request): WebhookRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  const search = req.originalUrl.indexOf('?');
  if (search >= 0) {
    for (const [key, value] of new URLSearchParams(req.originalUrl.slice(search + 1))) {
      if (!(key in query)) query[key] = value;
    }
  }
  return {
    method: req.method,
    url: publicUrl + req.originalUrl,
    headers,
    query,
    rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
  };
}

function summary(items: InboundItem[]): { messages: number; statuses: number } {
  const messages = items.filter((i) => i.kind === 'message').length;
  return { messages, statuses: items.length - messages };
}

export function createWebhookRouter(options: WebhookRouterOptions): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const router = express.Router();

  const handle = async (req: Request, res: Response) => {
    const segment = String(req.params.provider);
    const senderId = String(req.params.senderId);
    const providerName = WEBHOOK_PROVIDERS[segment];
    const context = { provider: providerName ?? segment, senderId, method: req.method };
    if (!providerName || !options.providers.has(providerName)) {
      return fail(res, 404, 'LC_NOT_FOUND', `No webhook for provider "${segment}"`);
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.set('allow', 'GET, POST');
      return fail(res, 405, 'LC_METHOD_NOT_ALLOWED', 'Webhooks take GET (handshake) or POST');
    }
    const provider: Provider = options.providers.get(providerName);
    const sender = await options.lookupSender(senderId);
    if (!sender || sender.provider !== providerName) {
      log.info(context, 'webhook for an unknown sender');
      return fail(res, 404, 'LC_NOT_FOUND', 'Unknown sender');
    }
    const request = webhookRequest(publicUrl, req);

    if (req.method === 'GET') {
      if (!provider.handshake) {
        res.set('allow', 'POST');
        return fail(res, 405, 'LC_METHOD_NOT_ALLOWED', `${providerName} webhooks are POST only`);
      }
      const answer = provider.handshake(sender, request);
      log.info({ ...context, status: answer.status }, 'webhook handshake');
      return reply(res, answer);
    }

    if (!provider.verify(sender, request)) {
      log.warn(context, 'webhook with a missing or bad signature rejected');
      return fail(res, 403, 'LC_BAD_SIGNATURE', 'The webhook signature is missing or does not match');
    }
    let items: InboundItem[];
    try {
      items = provider.parse(sender, request);
    } catch (err) {
      if (err instanceof WebhookFormatError) {
        log.warn({ ...context, error: err.message }, 'malformed webhook rejected');
        return fail(res, 400, 'LC_BAD_REQUEST', err.message);
      }
      throw err;
    }
    // Nothing to commit (a field or phone number this sender does not handle): just acknowledge.
    if (items.length > 0) await options.accept(sender, items);
    log.info({ ...context, ...summary(items) }, 'webhook accepted');
    return reply(res, provider.acknowledge(sender, request));
  };

  // Raw bytes whatever the content type: signatures are computed over them.
  router.all(
    '/webhooks/:provider/:senderId',
    express.raw({ type: () => true, limit: BODY_LIMIT }),
    (req, res, next) => {
      handle(req, res).catch(next);
    },
  );

  const errors: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string };
    if (e.type === 'entity.too.large') {
      return fail(res, 413, 'LC_TOO_LARGE', `The body is larger than ${BODY_LIMIT}`);
    }
    if (e.type === 'encoding.unsupported') {
      return fail(
        res,
        415,
        'LC_UNSUPPORTED_MEDIA',
        'The body has a content encoding this listener cannot read',
      );
    }
    // accept() failed (database down…) or a sender's stored credentials are unusable: answer 500 so
    // the carrier retries later; nothing was acknowledged.
    log.error(
      { path: req.baseUrl + req.path, method: req.method, ...errorInfo(err) },
      'webhook not accepted',
    );
    return fail(res, 500, 'LC_UNKNOWN', 'The webhook could not be stored; retry later');
  };
  router.use('/webhooks', errors);
  return router;
}
