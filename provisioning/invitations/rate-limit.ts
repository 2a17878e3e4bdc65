import type { NextFunction, Request, Response } from 'express';

/**
 * A fixed-window limit per client address, in memory (each bridge process counts its own). Enough
 * to stop password and token guessing on the invitation forms; `onLimited` answers the request.
 */
export function rateLimit(options: {
  max: number;
  windowMs: number;
  onLimited(req: Request, res: Response, retryAfterSeconds: number): void;
}) {
  const hits = new Map<string, { count: number; resetAt: number }>();
  return (req: Request, res: Response, next: NextFunction): void => {
    const now = Date.now();
    if (hits.size > 10_000) {
      for (const [key, entry] of hits) if (entry.resetAt <= now) hits.delete(key);
    }
    const key = req.ip ?? 'unknown';
    let entry = hits.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + options.windowMs };
      hits.set(key, entry);
    }
    entry.count++;
    if (entry.count > options.max) {
      const retryAfter = Math.ceil((entry.resetAt - now) / 1000);
      res.setHeader('Retry-After', String(retryAfter));
      options.onLimited(req, res, retryAfter);
      return;
    }
    next();
  };
}
