import { Router } from 'express';
import { errorInfo, logger } from '../log.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import type { Database } from '../store/db.ts';
import { findMediaLink } from '../store/outbox.ts';

const log = logger('bridge.outbox.media');

/**
 * GET /media/v1/{token}/{name}: the content of an agent's file, for the provider that delivers it
 * (Twilio and Meta fetch media by URL). The token is unguessable and expires; the homeserver's media
 * is never exposed otherwise. Mounted on the public listener (under publicUrl).
 */
export function createMediaRoutes(deps: { db: Database; matrix: MatrixGateway }): Router {
  const router = Router();
  router.get('/media/v1/:token{/:name}', async (req, res) => {
    const token = String(req.params.token ?? '');
    try {
      const link = /^[A-Za-z0-9_-]{20,64}$/.test(token) ? await findMediaLink(deps.db, token) : undefined;
      if (!link) {
        res.status(404).type('text/plain').send('No such media, or the link expired');
        return;
      }
      const { data } = await deps.matrix.botIntent.matrixClient.downloadContent(link.mxc);
      res
        .status(200)
        .set({
          'content-type': link.mimeType,
          'content-length': String(data.length),
          'cache-control': 'private, max-age=3600',
          ...(link.filename
            ? { 'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(link.filename)}` }
            : {}),
        })
        .end(data);
    } catch (err) {
      log.warn({ ...errorInfo(err) }, 'could not serve media to a provider');
      res.status(502).type('text/plain').send('The media could not be fetched from the homeserver');
    }
  });
  return router;
}
