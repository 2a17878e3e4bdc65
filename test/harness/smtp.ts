// The capturing SMTP server moved to dev/email/ (the dev stack's email page uses it too).
export { startSmtpCapture } from '../../dev/email/smtp.ts';
export type { SmtpCapture, SmtpCaptureOptions } from '../../dev/email/smtp.ts';
