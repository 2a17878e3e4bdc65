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
