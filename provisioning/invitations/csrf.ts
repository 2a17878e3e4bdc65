import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/*
 * Form tokens against cross-site request forgery, without server-side sessions: the page sets a
 * random cookie (SameSite=Strict, HttpOnly) and puts an HMAC of it, bound to the invitation, in the
 * form. A POST must carry both, and a forged form from another site has neither.
 */

export const CSRF_COOKIE = 'lc_invite_csrf';

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export function createCsrf(key: Buffer, secureCookies: boolean) {
  const sign = (nonce: string, binding: string) =>
    createHmac('sha256', key).update(`${nonce}:${binding}`).digest('base64url');
  return {
    /** The form token for this request, setting the cookie when there is none yet. */
    issue(req: Request, res: Response, binding: string): string {
      let nonce = readCookie(req, CSRF_COOKIE);
      if (!nonce || !/^[A-Za-z0-9_-]{32,64}$/.test(nonce)) {
        nonce = randomBytes(24).toString('base64url');
        res.cookie(CSRF_COOKIE, nonce, {
          httpOnly: true,
          sameSite: 'strict',
          secure: secureCookies,
          path: '/invitations',
          maxAge: 24 * 3600_000,
        });
      }
      return sign(nonce, binding);
    },
    verify(req: Request, binding: string, given: unknown): boolean {
      const nonce = readCookie(req, CSRF_COOKIE);
      if (!nonce || typeof given !== 'string') return false;
      const expected = Buffer.from(sign(nonce, binding));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
