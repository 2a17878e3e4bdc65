import { errorInfo, logger } from '../log.ts';
import type { MatrixGateway } from './gateway.ts';

const log = logger('bridge.matrix.ping');

/**
 * Whether the homeserver can reach this appservice, proven by the appservice ping (the homeserver
 * calls us back with our token). A wrong URL in the registration is the usual cause of failure, and
 * it silently stops all traffic from Matrix, so /ready reports it and the ping is retried until it
 * succeeds.
 */
export class PingMonitor {
  private readonly matrix: MatrixGateway;
  private readonly retryMs: number;
  private lastError: string | undefined = 'not pinged yet';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(matrix: MatrixGateway, retryMs = 15_000) {
    this.matrix = matrix;
    this.retryMs = retryMs;
  }

  /** Pings once (waiting at most timeoutMs); keeps retrying in the background while it fails. */
  async start(timeoutMs = 10_000): Promise<void> {
    await Promise.race([this.attempt(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  /** Throws the reason while the homeserver cannot reach us (a readiness check). */
  async check(): Promise<void> {
    if (this.lastError) throw new Error(`the homeserver cannot reach the appservice: ${this.lastError}`);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    try {
      const ms = await this.matrix.ping();
      if (this.lastError !== undefined) log.info({ ms }, 'the homeserver reached the appservice (ping)');
      this.lastError = undefined;
    } catch (err) {
      const first = this.lastError === 'not pinged yet';
      this.lastError = err instanceof Error ? err.message : String(err);
      const details = { ...errorInfo(err), retryInSeconds: this.retryMs / 1000 };
      const message =
        'the homeserver could not reach the appservice: check the url in the registration file and appservice.port';
      if (first) log.error(details, message);
      else log.debug(details, message);
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.attempt(), this.retryMs);
        this.timer.unref();
      }
    }
  }
}
