import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/schema.ts';

/** Outgoing email over the configured SMTP server (invitations, offline forms). */
export type Mailer = Pick<Transporter, 'sendMail' | 'close'>;

export function createMailer(smtp: NonNullable<Config['smtp']>): Mailer {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
}

/** Whether an SMTP failure can pass with time (4xx, network) or not (5xx: a refused address). */
export function isPermanentMailError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}
