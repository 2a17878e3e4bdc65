import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../bridge/log.ts';
import type { EmailServer } from './email/server.ts';
import { addresses, linksIn, type StoredMail } from './email/store.ts';

/*
 * Accounts for the seeded people, made the supported way: the invitation email's link, opened and
 * submitted like a browser does (the CSRF cookie and form token included), choosing "create an
 * account" with the password the dev stack prints. The new account joins the space's rooms itself.
 */

const log = logger('dev.accounts');

export interface Person {
  role: 'admin' | 'agent';
  name: string;
  email: string;
}

const INVITATION_LINK = /\/invitations\/[A-Za-z0-9_-]{43}$/;

/** The newest invitation mail to `address` received at or after `since`. */
async function invitationMail(email: EmailServer, address: string, since: number): Promise<StoredMail> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = email.store.mails
      .filter((m) => m.receivedAt.getTime() >= since - 1000)
      .filter((m) => addresses(m.mail.to).toLowerCase().includes(address.toLowerCase()))
      .filter((m) => linksIn(m.mail.text ?? '').some((l) => INVITATION_LINK.test(l)))
      .at(-1);
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(`No invitation email to ${address} arrived within 60 s (see the email page)`);
    }
    await sleep(100);
  }
}

function formError(html: string): string {
  const match = /class="error"[^>]*>([^<]+)</.exec(html) ?? /<p>([^<]+)<\/p>/.exec(html);
  return match ? match[1]!.trim() : 'no explanation on the page';
}

export async function acceptInvitationAsBrowser(
  email: EmailServer,
  person: Person,
  password: string,
  since: number,
): Promise<void> {
  const mail = await invitationMail(email, person.email, since);
  const link = linksIn(mail.mail.text ?? '').find((l) => INVITATION_LINK.test(l))!;
  const page = await fetch(link);
  const html = await page.text();
  if (!page.ok)
    throw new Error(`The invitation page for ${person.email} answered ${page.status}: ${formError(html)}`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error(`The invitation page for ${person.email} has no form token`);
  const res = await fetch(link, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      action: 'create',
      email: person.email,
      password,
      confirm: password,
      csrf,
    }),
  });
  const done = await res.text();
  if (!res.ok) {
    throw new Error(`Accepting the invitation of ${person.email} failed (${res.status}): ${formError(done)}`);
  }
  log.info(`${person.name} <${person.email}> accepted the invitation (${person.role})`);
}
