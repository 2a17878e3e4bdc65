import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/*
 * An in-process SMTP server that accepts everything (no auth, no TLS) and keeps every message,
 * parsed: for assertions in tests, and behind the dev stack's email page. Point the bridge's `smtp`
 * config at { host, port, secure: false }.
 */

export interface SmtpCapture {
  host: string;
  port: number;
  messages: ParsedMail[];
  /** The first captured message (already received or arriving later) for which `predicate` holds. */
  waitForEmail(predicate?: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  stop(): Promise<void>;
}

function describeMail(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '?');
  return `to ${to}: ${JSON.stringify(mail.subject ?? '')}`;
}

export interface SmtpCaptureOptions {
  /**
   * Called at RCPT TO: return an SMTP code (451: try later, 550: refused) to reject that
   * recipient, as a real server does for a full or unknown mailbox.
   */
  rejectRecipient?(address: string): number | undefined;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Called with each message (parsed and as received) before the client is told it was accepted. */
  onMessage?(mail: ParsedMail, raw: Buffer): void | Promise<void>;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSmtpCapture(options: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
  const messages: ParsedMail[] = [];
  const waiters = new Set<(mail: ParsedMail) => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = options.rejectRecipient?.(address.address);
      if (code === undefined) return callback();
      const err = Object.assign(new Error(`${address.address}: mailbox unavailable (test)`), {
        responseCode: code,
      });
      callback(err);
    },
    onData(stream, _session, callback) {
      (async () => {
        const raw = await readAll(stream);
        const mail = await simpleParser(raw);
        await options.onMessage?.(mail, raw);
        messages.push(mail);
        for (const waiter of waiters) waiter(mail);
      })().then(
        () => callback(),
        (err: Error) => callback(err),
      );
    },
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host,
    port,
    messages,
    waitForEmail(predicate = () => true, timeoutMs = 15_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<ParsedMail>((resolve, reject) => {
        const waiter = (mail: ParsedMail): void => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.length ? messages.map(describeMail).join('; ') : 'no email at all';
          reject(new Error(`No matching email within ${timeoutMs} ms; captured: ${seen}`));
        }, timeoutMs);
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
