import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/*
 * An HTTP proxy in front of the homeserver that counts the requests the bridge makes, grouped by
 * method and path shape (IDs replaced by placeholders), e.g. to prove a start-up makes no request
 * per room.
 */

/** `PUT /_matrix/client/v3/rooms/{id}/send/{type}/{id}`: IDs and tokens replaced. */
export function pathShape(method: string, url: string): string {
  const path = url.split('?')[0] ?? url;
  const shaped = path
    .split('/')
    .map((segment) => {
      const s = decodeURIComponent(segment);
      if (/^[!@#$]/.test(s) || s.includes(':')) return '{id}';
      if (/^(lc\.|livechat-)/.test(s) || /^[A-Za-z0-9_-]{20,}$/.test(s)) return '{id}';
      return segment;
    })
    .join('/');
  return `${method} ${shaped}`;
}

export class CountingProxy {
  readonly url: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private counts = new Map<string, number>();

  private constructor(server: Server, url: string) {
    this.server = server;
    this.url = url;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(target: string): Promise<CountingProxy> {
    const upstream = new URL(target);
    const holder: { proxy?: CountingProxy } = {};
    const server = createServer((req, res) => {
      const key = pathShape(req.method ?? 'GET', req.url ?? '/');
      const counts = holder.proxy!.counts;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'upstream unreachable' }));
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    holder.proxy = new CountingProxy(server, `http://127.0.0.1:${port}`);
    return holder.proxy;
  }

  /** Requests since the last reset, by shape, most frequent first. */
  snapshot(): { total: number; byShape: [string, number][] } {
    const byShape = [...this.counts.entries()].sort((a, b) => b[1] - a[1]);
    return { total: byShape.reduce((sum, [, n]) => sum + n, 0), byShape };
  }

  reset(): void {
    this.counts = new Map();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
