import type { Clock } from '../../bridge/context.ts';
import { errorInfo, logger } from '../../bridge/log.ts';
import { PermanentError } from '../../bridge/queue/errors.ts';
import { OrderedQueue, type QueueRow } from '../../bridge/queue/ordered-queue.ts';
import type { Database } from '../../bridge/store/db.ts';
import type { Config } from '../../config/schema.ts';
import { createMailer, isPermanentMailError, type Mailer } from '../../bridge/mail.ts';
import { composeInvitation, invitationLink } from './email.ts';
import { deriveKey, unseal } from './tokens.ts';

const log = logger('provisioning.invitations.email');

interface EmailRow extends QueueRow {
  invitation_id: string;
  token_hash: Buffer;
  token_sealed: string | null;
}

interface Target {
  email: string;
  name: string;
  role: 'agent' | 'admin';
  status: string;
  token_hash: Buffer;
  expires_at: Date;
  space_name: string;
}

/**
 * Sends invitation emails after their rows commit, retrying with backoff. Every attempt's outcome
 * is written on the invitation (emailStatus, emailError) so that a failure is seen in the API; a
 * link that was renewed or revoked before its email left is not sent.
 */
export function createEmailQueue(deps: { db: Database; config: Config; clock: Clock }) {
  const { db, config } = deps;
  const key = deriveKey(config.provisioning.token, 'invitation-token');
  let mailer: Mailer | undefined;

  const setStatus = (id: string, status: string, error: string | null) =>
    db.query(
      `UPDATE invitations SET email_status = $2, email_error = $3, email_attempts = email_attempts + 1,
         email_sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE email_sent_at END, updated_at = now()
       WHERE id = $1`,
      [id, status, error],
    );

  const queue = new OrderedQueue<EmailRow>(db, {
    name: 'invitation-emails',
    table: 'invitation_emails',
    keyColumn: 'invitation_id',
    concurrency: 4,
    leaseSeconds: 120,
    pollMs: 5000,
    backoff: { baseMs: 2000, maxMs: 10 * 60_000, maxAttempts: 12 },
    async handle(row) {
      const result = await db.query<Target>(
        `SELECT i.email, i.name, i.role, i.status, i.token_hash, i.expires_at, s.name AS space_name
         FROM invitations i JOIN spaces s ON s.id = i.space_id WHERE i.id = $1`,
        [row.invitation_id],
      );
      const target = result.rows[0];
      if (
        !target ||
        target.status !== 'pending' ||
        !target.token_hash.equals(row.token_hash) ||
        !row.token_sealed
      ) {
        // Revoked, accepted or renewed since: this link is dead, so its email must not leave.
        await db.query('UPDATE invitation_emails SET token_sealed = NULL WHERE id = $1', [row.id]);
        return;
      }
      let token: string;
      try {
        token = unseal(row.token_sealed, key);
      } catch (err) {
        throw new PermanentError(
          'the link cannot be rebuilt (was provisioning.token changed?); resend the invitation',
          {
            cause: err,
          },
        );
      }
      const mail = composeInvitation({
        to: target.email,
        name: target.name,
        spaceName: target.space_name,
        role: target.role,
        link: invitationLink(config.publicUrl, token),
        expiresAt: target.expires_at,
      });
      try {
        mailer ??= createMailer(config.smtp!);
        await mailer.sendMail({ from: config.smtp!.from, to: target.email, ...mail });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await setStatus(row.invitation_id, 'retrying', message);
        log.warn(
          { invitationId: row.invitation_id, attempts: row.attempts, ...errorInfo(err) },
          'invitation email not sent',
        );
        if (isPermanentMailError(err)) throw new PermanentError(message, { cause: err });
        throw err;
      }
      await setStatus(row.invitation_id, 'sent', null);
      await db.query('UPDATE invitation_emails SET token_sealed = NULL WHERE id = $1', [row.id]);
      log.info({ invitationId: row.invitation_id }, 'invitation email sent');
    },
    async onFailed(row, error) {
      const message = error instanceof Error ? error.message : String(error);
      await db.query(
        `UPDATE invitations SET email_status = 'failed', email_error = $2, updated_at = now() WHERE id = $1`,
        [row.invitation_id, `${message} (gave up after ${row.attempts} attempts; resend to try again)`],
      );
      await db.query('UPDATE invitation_emails SET token_sealed = NULL WHERE id = $1', [row.id]);
    },
  });

  return {
    start: () => queue.start(),
    wake: () => queue.wake(),
    async stop() {
      await queue.stop();
      mailer?.close();
    },
  };
}
