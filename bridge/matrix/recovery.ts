import { errorInfo, logger } from '../log.ts';

const log = logger('bridge.matrix.recovery');

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether an error from a homeserver request means "not reachable" rather than "refused". */
export function isUnreachable(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; statusCode?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e.statusCode === 502 || e.statusCode === 503 || e.statusCode === 504) return true;
    e = e.cause as typeof e;
  }
  return false;
}

export interface RecoveryOptions {
  /** Resolves when the homeserver answers (GET /_matrix/client/versions). */
  probeHomeserver(): Promise<void>;
  /** Resolves when the database answers. */
  probeDatabase(): Promise<void>;
  /** Asks the homeserver to call us now (appservice ping): it then retries the transactions it holds. */
  ping(): Promise<unknown>;
  /** Work that waited for the homeserver may run now. */
  onHomeserverBack(): void;
  intervalMs?: number;
}

/**
 * Makes recovery after an outage take seconds, not backoff periods:
 * - a queue whose work failed because the homeserver was unreachable reports it here; the
 *   homeserver is then probed every second, and when it answers, the waiting rows are retried at
 *   once (their backoff may have grown to minutes) and the homeserver is pinged;
 * - a transaction the bridge could not store (database down) is refused with a 5xx, after which
 *   Synapse backs off exponentially (up to 8.5 minutes); once the database answers again, an
 *   appservice ping makes Synapse retry immediately (its ping handler forces the retry).
 */
export class Recovery {
  private readonly options: RecoveryOptions;
  private readonly intervalMs: number;
  private homeserverTimer: NodeJS.Timeout | undefined;
  private databaseTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: RecoveryOptions) {
    this.options = options;
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** A homeserver request failed; watches the homeserver if the error says it is unreachable. */
  homeserverFailed(err: unknown): void {
    if (this.stopped || this.homeserverTimer || !isUnreachable(err)) return;
    log.warn(errorInfo(err), 'the homeserver is unreachable; watching it to resume as soon as it answers');
    const probe = () => {
      this.options.probeHomeserver().then(
        () => {
          this.homeserverTimer = undefined;
          if (this.stopped) return;
          log.info('the homeserver answers again; resuming the work that waited for it');
          this.options.onHomeserverBack();
          this.pingHomeserver();
        },
        () => {
          if (!this.stopped) this.homeserverTimer = setTimeout(probe, this.intervalMs).unref();
        },
      );
    };
    this.homeserverTimer = setTimeout(probe, this.intervalMs).unref();
  }

  /** A transaction was refused because it could not be stored. */
  transactionRefused(): void {
    if (this.stopped || this.databaseTimer) return;
    const probe = () => {
      this.options.probeDatabase().then(
        () => {
          this.databaseTimer = undefined;
          if (!this.stopped) this.pingHomeserver();
        },
        () => {
          if (!this.stopped) this.databaseTimer = setTimeout(probe, this.intervalMs).unref();
        },
      );
    };
    this.databaseTimer = setTimeout(probe, this.intervalMs).unref();
  }

  private pingHomeserver(): void {
    this.options.ping().then(
      () => log.info('pinged the homeserver: it retries the transactions it held back'),
      (err) => log.warn(errorInfo(err), 'the appservice ping after an outage failed'),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.homeserverTimer);
    clearTimeout(this.databaseTimer);
  }
}
