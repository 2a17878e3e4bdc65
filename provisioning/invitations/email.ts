import { html } from './html.ts';

/** What an invitation email says. */
export interface InvitationEmail {
  to: string;
  name: string;
  spaceName: string;
  role: 'agent' | 'admin';
  link: string;
  expiresAt: Date;
}

const ROLE_TEXT = {
  agent: 'an agent: you will answer customers who write to this business by SMS and WhatsApp',
  admin:
    'an admin: you will answer customers and steer the space (agents, queue, settings) from its control room',
};

export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/invitations/${token}`;
}

export function composeInvitation(mail: InvitationEmail): { subject: string; text: string; html: string } {
  const expires = mail.expiresAt.toUTCString();
  const subject = `You are invited to ${mail.spaceName} (live chat)`;
  const text = [
    `Hello ${mail.name},`,
    '',
    `You are invited to join ${mail.spaceName} as ${ROLE_TEXT[mail.role]}.`,
    '',
    `Accept the invitation here (the link works until ${expires}):`,
    mail.link,
    '',
    'You can create a new Matrix account with a password of your choice, or use a Matrix account you already have.',
    '',
    'If you did not expect this email, ignore it: nothing happens unless the link is opened and the form is sent.',
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1f24">
        <p>Hello ${mail.name},</p>
        <p>You are invited to join <strong>${mail.spaceName}</strong> as ${ROLE_TEXT[mail.role]}.</p>
        <p>
          <a
            href="${mail.link}"
            style="display: inline-block; padding: 0.6em 1.2em; background: #0b6bcb; color: #fff; text-decoration: none; border-radius: 6px"
            >Accept the invitation</a
          >
        </p>
        <p>Or open this link: <a href="${mail.link}">${mail.link}</a><br />It works until ${expires}.</p>
        <p>
          You can create a new Matrix account with a password of your choice, or use a Matrix account you
          already have.
        </p>
        <p style="color: #57606a">
          If you did not expect this email, ignore it: nothing happens unless the link is opened and the form
          is sent.
        </p>
      </body>
    </html>`;
  return { subject, text, html: body.value };
}
