import type { ParsedMail } from 'mailparser';

/** The link in an invitation email, and its token. */
export function linkIn(mail: ParsedMail): { link: string; token: string } {
  const match = /(http:\/\/\S+\/invitations\/([A-Za-z0-9_-]{43}))/.exec(mail.text ?? '');
  if (!match) throw new Error(`no invitation link in ${JSON.stringify(mail.text)}`);
  return { link: match[1]!, token: match[2]! };
}

/** Whether the email was sent to this address. */
export function sentTo(address: string) {
  return (mail: ParsedMail): boolean =>
    (Array.isArray(mail.to) ? mail.to : [mail.to]).some((a) =>
      a?.text.toLowerCase().includes(address.toLowerCase()),
    );
}

/** The invitation form as a plain HTTP client gets it: the CSRF cookie and the form token. */
export async function openForm(
  link: string,
): Promise<{ status: number; html: string; cookie: string; csrf: string }> {
  const res = await fetch(link);
  const html = await res.text();
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { status: res.status, html, cookie, csrf };
}

/** Sends one of the page's forms as a browser would. */
export async function postForm(
  link: string,
  session: { cookie: string; csrf: string },
  fields: Record<string, string>,
): Promise<{ status: number; html: string }> {
  const res = await fetch(link, {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, csrf: session.csrf }),
  });
  return { status: res.status, html: await res.text() };
}
