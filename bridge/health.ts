import type { Application } from 'express';
import type { Metrics } from './metrics.ts';
import type { ReadinessCheck } from './context.ts';

/**
 * /live answers while the process runs; /ready only when every dependency answers (a load balancer
 * or orchestrator stops sending work otherwise); /metrics for Prometheus.
 */
export function mountHealth(
  app: Application,
  checks: Map<string, ReadinessCheck>,
  metrics: Metrics | undefined,
  isStopping: () => boolean,
): void {
  app.get('/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const results: Record<string, string> = {};
    let ready = !isStopping();
    if (!ready) results.bridge = 'stopping';
    await Promise.all(
      [...checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), 3000);
          results[name] = 'ok';
        } catch (err) {
          ready = false;
          results[name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);
}
