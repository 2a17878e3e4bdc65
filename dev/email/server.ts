import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ParsedMail } from 'mailparser';
import { startSmtpCapture, type SmtpCapture } from './smtp.ts';
import { emailPage, RELOAD_SCRIPT } from './page.ts';
import { MailStore, summary, type StoredMail } from './store.ts';

/*
 * The dev stack's mail: an SMTP server the bridge's `smtp` config points at, and a web page that
 * lists what it received (GET /), with a JSON list (GET /api/mails) for scripts.
 */

export interface EmailServerOptions {
  /** Page port; default 0 (free). */
  port?: number;
  /** SMTP port; default 0 (free). */
  smtpPort?: number;
  host?: string;
  /** Keep received mail here (.eml files). */
  dir?: string;
}

export interface EmailServer {
  url: string;
  smtp: { host: string; port: number };
  store: MailStore;
  /** The first mail (received already, or arriving later) for which `predicate` holds. */
  waitForEmail(predicate?: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'cache-control': 'no-store',
    'content-security-policy':
      "default-src 'self'; style-src 'unsafe-inline'; img-src * data:; frame-src 'self'; frame-ancestors 'none'",
  });
  res.end(body);
}

export async function startEmailServer(options: EmailServerOptions = {}): Promise<EmailServer> {
  const host = options.host ?? '127.0.0.1';
  const store = new MailStore(options.dir);
  await store.load();
  const smtp: SmtpCapture = await startSmtpCapture({
    host,
    port: options.smtpPort ?? 0,
    onMessage: async (mail, raw) => {
      await store.add(mail, raw);
    },
  });
  // Mail from earlier runs counts too: waitForEmail looks at everything the page lists.
  smtp.messages.unshift(...store.mails.map((m) => m.mail));

  const streams = new Set<ServerResponse>();
  store.onMail((mail: StoredMail) => {
    for (const res of streams) res.write(`event: mail\ndata: ${JSON.stringify(summary(mail))}\n\n`);
  });
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://email');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only');
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html', emailPage(store.mails, url.searchParams.get('id')));
      case '/app.js':
        return send(res, 200, 'text/javascript', RELOAD_SCRIPT);
      case '/api/mails':
        return send(res, 200, 'application/json', JSON.stringify({ mails: store.mails.map(summary) }));
      case '/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': connected\n\n');
        streams.add(res);
        const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(ping);
          streams.delete(res);
        });
        return;
      }
      default:
        return send(res, 404, 'text/plain', 'not found');
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (err) {
    await smtp.stop();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    smtp: { host: smtp.host, port: smtp.port },
    store,
    waitForEmail: (predicate, timeoutMs) => smtp.waitForEmail(predicate, timeoutMs),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await smtp.stop();
    },
  };
}
