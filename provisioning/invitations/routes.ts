import express, { Router, type Request, type Response } from 'express';
import { errorInfo, logger } from '../../bridge/log.ts';
import { getInvitationByToken } from '../store/invitations.ts';
import { getSpace } from '../store/spaces.ts';
import {
  acceptInvitation,
  AcceptError,
  closedReason,
  type AcceptDeps,
  type CreateForm,
  type LinkForm,
} from './accept.ts';
import { createCsrf } from './csrf.ts';
import { donePage, invitationForm, messagePage } from './page.ts';
import { rateLimit } from './rate-limit.ts';
import { deriveKey, hashToken } from './tokens.ts';

const log = logger('provisioning.invitations.page');

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

// No framing, no referrer (the URL holds the token), no script, no caching.
function secure(res: Response): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
}

function send(res: Response, status: number, page: string): void {
  secure(res);
  res.status(status).type('html').send(page);
}

function clientUrl(template: string, userId: string, serverName: string): string {
  return template
    .replaceAll('{userId}', encodeURIComponent(userId))
    .replaceAll('{serverName}', encodeURIComponent(serverName));
}

const NOT_FOUND = messagePage('Invitation not found', [
  'This invitation link is not valid. It may have been replaced by a newer email: use the link in the most recent one.',
]);

/** GET and POST /invitations/<token>: the page where an invited person takes their seat. */
export function invitationPages(deps: AcceptDeps): Router {
  const { config, db, clock, matrix } = deps;
  const csrf = createCsrf(
    deriveKey(config.provisioning.token, 'invitation-csrf'),
    config.publicUrl.startsWith('https:'),
  );
  const router = Router();
  const limited = rateLimit({
    max: config.invitations.rateLimitPerMinute,
    windowMs: 60_000,
    onLimited: (_req, res, seconds) =>
      send(res, 429, messagePage('Too many attempts', [`Please wait ${seconds} seconds and try again.`])),
  });

  const showForm = async (
    req: Request,
    res: Response,
    status: number,
    error?: { form: 'create' | 'link'; message: string },
    values?: { email?: string; userId?: string },
  ) => {
    const token = req.params.token as string;
    if (!TOKEN.test(token)) return send(res, 404, NOT_FOUND);
    const hash = hashToken(token);
    const invitation = await getInvitationByToken(db, hash, clock.now());
    if (!invitation) return send(res, 404, NOT_FOUND);
    const closed = closedReason(invitation);
    if (closed) return send(res, closed.status, messagePage('Invitation closed', [closed.message]));
    const space = await getSpace(db, invitation.spaceId, clock.now());
    if (!space) return send(res, 404, NOT_FOUND);
    send(
      res,
      status,
      invitationForm({
        action: `/invitations/${token}`,
        csrf: csrf.issue(req, res, hash.toString('hex')),
        spaceName: space.name,
        name: invitation.name,
        role: invitation.role,
        expiresAt: invitation.expiresAt,
        serverName: matrix.domain,
        canCreate: Boolean(config.homeserver.registrationSharedSecret),
        minPasswordLength: config.invitations.minPasswordLength,
        error,
        values,
      }),
    );
  };

  router.get('/invitations/:token', (req, res, next) => {
    showForm(req, res, 200).catch(next);
  });

  router.post(
    '/invitations/:token',
    limited,
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    (req, res, next) => {
      (async () => {
        const token = req.params.token as string;
        if (!TOKEN.test(token)) return send(res, 404, NOT_FOUND);
        const hash = hashToken(token);
        const body = (req.body ?? {}) as Record<string, unknown>;
        const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
        if (!csrf.verify(req, hash.toString('hex'), body.csrf)) {
          return send(
            res,
            403,
            messagePage(
              'Please try again',
              [
                'The form had expired or was not sent from this page. Open the invitation link again and resend the form.',
              ],
              { href: `/invitations/${token}`, text: 'Back to the invitation' },
            ),
          );
        }
        const action = field('action');
        if (action !== 'create' && action !== 'link') return showForm(req, res, 400);
        const form: CreateForm | LinkForm =
          action === 'create'
            ? { action, email: field('email'), password: field('password'), confirm: field('confirm') }
            : { action, email: field('email'), userId: field('userId') };
        const values = { email: form.email, ...(action === 'link' ? { userId: field('userId') } : {}) };
        try {
          const accepted = await acceptInvitation(deps, hash, form);
          send(
            res,
            200,
            donePage({
              spaceName: accepted.space.name,
              userId: accepted.userId,
              created: accepted.created,
              clientUrl: clientUrl(config.invitations.clientUrl, accepted.userId, matrix.domain),
            }),
          );
        } catch (err) {
          if (!(err instanceof AcceptError)) throw err;
          if (err.form)
            return showForm(req, res, err.status, { form: err.form, message: err.message }, values);
          if (err.status === 404) return send(res, 404, NOT_FOUND);
          send(res, err.status, messagePage('Invitation closed', [err.message]));
        }
      })().catch(next);
    },
  );

  // Whatever else fails on these pages gets a page, never a stack trace.
  router.use('/invitations', ((err, req, res, _next) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large')
      return send(res, 413, messagePage('Too large', ['The form was too large.']));
    if (type === 'entity.parse.failed' || type === 'parameters.too.many') {
      return send(res, 400, messagePage('Bad form', ['The form could not be read. Open the link again.']));
    }
    log.error({ path: req.path.replace(/[^/]+$/, '…'), ...errorInfo(err) }, 'invitation page failed');
    send(
      res,
      500,
      messagePage('Something went wrong', ['Nothing was changed. Please try again in a moment.']),
    );
  }) as express.ErrorRequestHandler);
  return router;
}
