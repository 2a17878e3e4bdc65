import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type Response,
  type Router,
} from 'express';
import { errorInfo, logger } from '../bridge/log.ts';
import { ApiError, errors } from './errors.ts';

const log = logger('provisioning.server');

export const API_PREFIX = '/_matrix/provision/v1';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Bearer-token check in constant time (hashing first makes the lengths equal). */
export function requireToken(token: string) {
  const expected = digest(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return next(errors.unauthorized());
    if (!timingSafeEqual(digest(header.slice('Bearer '.length)), expected)) return next(errors.forbidden());
    next();
  };
}

/** Methods that carry a JSON body must say so; anything else is refused before it is read. */
export function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = req.headers['transfer-encoding'] !== undefined || length > 0;
  if (hasBody && !req.is('application/json')) {
    next(
      new ApiError(
        415,
        'LC_UNSUPPORTED_MEDIA',
        `Send the body as application/json (got ${req.headers['content-type'] ?? 'no content type'})`,
      ),
    );
    return;
  }
  next();
}

/** The path of the first string (key or value) holding U+0000, which Postgres text cannot store. */
function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(body)' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return at;
    const found = nulPath(item, at);
    if (found) return found;
  }
  return undefined;
}

/** Refuses a body with a NUL character with its field, instead of failing in the database. */
export function rejectNul(req: Request, res: Response, next: NextFunction): void {
  const field = nulPath(req.body, '');
  if (field) {
    res.status(400).json({
      errcode: 'LC_BAD_REQUEST',
      error: `${field}: must not contain the NUL character (\u0000)`,
      field,
    });
    return;
  }
  next();
}

/** Every failure leaves as `{errcode, error}`; body-parser's own errors get stable codes too. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof ApiError) {
    res.status(err.status).json({ errcode: err.errcode, error: err.message, ...err.details });
    return;
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed') {
    res.status(400).json({ errcode: 'LC_BAD_JSON', error: 'The body is not valid JSON' });
  } else if (e.type === 'entity.too.large') {
    res.status(413).json({ errcode: 'LC_TOO_LARGE', error: 'The body is too large' });
  } else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    res.status(415).json({ errcode: 'LC_UNSUPPORTED_MEDIA', error: e.message ?? 'Unsupported encoding' });
  } else {
    log.error({ method: req.method, path: req.path, ...errorInfo(err) }, 'unhandled error in a request');
    res.status(500).json({ errcode: 'LC_UNKNOWN', error: 'Internal error; it was logged' });
  }
};

/** The public HTTP listener: provisioning API (token), carrier webhooks (signatures), invitation pages. */
export function createApp(options: {
  token: string;
  api: Router;
  /** Routes under the API prefix that need no token (the OpenAPI document). */
  publicApi?: Router;
  publicRoutes?: Router[];
}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  for (const routes of options.publicRoutes ?? []) app.use(routes);
  if (options.publicApi) app.use(API_PREFIX, options.publicApi);
  app.use(
    API_PREFIX,
    requireToken(options.token),
    requireJson,
    express.json({ limit: '1mb' }),
    rejectNul,
    options.api,
  );
  app.use(API_PREFIX, (_req, _res, next) => next(new ApiError(404, 'LC_UNRECOGNIZED', 'Unknown endpoint')));
  app.use(errorHandler);
  return app;
}

export async function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.once('error', reject);
  });
}

export async function close(server: Server): Promise<void> {
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
