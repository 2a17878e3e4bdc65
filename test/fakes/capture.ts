import type { WebhookRequest } from '../../bridge/providers/types.ts';
import { FakeServer } from './http.ts';

/*
 * A webhook catcher: a real HTTP server that keeps each request exactly as a provider's verify()
 * and parse() receive it (raw bytes, lowercase headers, the public URL), and answers 200. For
 * testing a provider against a fake without the bridge's router.
 *
 *   const hooks = await startWebhookCapture();
 *   await twilio.message(hooks.url, {...});
 *   provider.verify(sender, hooks.last());
 */

export interface WebhookCapture {
  /** Where to post: `${base}/hook`. */
  url: string;
  /** Every request, as a WebhookRequest whose url is publicUrl + path (the URL signatures cover). */
  requests: WebhookRequest[];
  last(): WebhookRequest;
  stop(): Promise<void>;
}

export async function startWebhookCapture(options: { publicUrl?: string } = {}): Promise<WebhookCapture> {
  const requests: WebhookRequest[] = [];
  const server = new FakeServer((req, res, body) => {
    const path = req.url ?? '/';
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of new URL(path, 'http://x').searchParams) if (!(k in query)) query[k] = v;
    requests.push({
      method: req.method ?? 'GET',
      url: (options.publicUrl ?? server.baseUrl) + path,
      headers,
      query,
      rawBody: body,
    });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await server.listen();
  return {
    url: `${server.baseUrl}/hook`,
    requests,
    last: () => {
      const last = requests.at(-1);
      if (!last) throw new Error('no webhook received');
      return last;
    },
    stop: () => server.close(),
  };
}
