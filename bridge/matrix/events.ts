import type { Database } from '../store/db.ts';
import { errorInfo, logger } from '../log.ts';
import { OrderedQueue, type QueueRow } from '../queue/ordered-queue.ts';
import type { ClientEvent, EphemeralEvent } from './appservice.ts';

const log = logger('bridge.matrix.events');

export type EventHandler = (event: ClientEvent) => Promise<void>;
export type EphemeralHandler = (event: EphemeralEvent) => void | Promise<void>;

interface StoredEvent extends QueueRow {
  event_id: string;
  room_id: string;
  event: ClientEvent;
}

/**
 * Hands each stored Matrix event to every registered handler, in registration order (the bridge's
 * own first, then the bot's). Events of one room are handled one at a time, in arrival order;
 * rooms run in parallel. A handler that throws makes the event retry with backoff, so handlers
 * must be idempotent (outbox rows are unique per event ID).
 */
export class EventRouter {
  private readonly handlers: { name: string; handle: EventHandler }[] = [];
  private readonly ephemeral: { name: string; handle: EphemeralHandler }[] = [];

  on(name: string, handle: EventHandler): void {
    this.handlers.push({ name, handle });
  }

  onEphemeral(name: string, handle: EphemeralHandler): void {
    this.ephemeral.push({ name, handle });
  }

  async dispatch(event: ClientEvent): Promise<void> {
    for (const { name, handle } of this.handlers) {
      try {
        await handle(event);
      } catch (err) {
        log.warn(
          { handler: name, eventId: event.event_id, roomId: event.room_id, ...errorInfo(err) },
          'handler failed',
        );
        throw err;
      }
    }
  }

  dispatchEphemeral(events: EphemeralEvent[]): void {
    for (const event of events) {
      for (const { name, handle } of this.ephemeral) {
        Promise.resolve()
          .then(() => handle(event))
          .catch((err) =>
            log.warn({ handler: name, type: event.type, ...errorInfo(err) }, 'ephemeral handler failed'),
          );
      }
    }
  }
}

export function createEventQueue(
  db: Database,
  router: EventRouter,
  onOutcome?: (outcome: 'done' | 'retry' | 'failed', durationMs: number) => void,
  onRetry?: (error: unknown) => void,
): OrderedQueue<StoredEvent> {
  return new OrderedQueue<StoredEvent>(db, {
    name: 'matrix-events',
    table: 'matrix_events',
    keyColumn: 'room_id',
    concurrency: 16,
    leaseSeconds: 15,
    pollMs: 1000,
    backoff: { baseMs: 500, maxMs: 60_000, maxAttempts: 12 },
    handle: (row) => router.dispatch(row.event),
    onFailed: async (row, err) => {
      // Handlers report user-visible failures themselves; what reaches here is a bug or an outage.
      log.error(
        { eventId: row.event_id, roomId: row.room_id, ...errorInfo(err) },
        'gave up on a Matrix event',
      );
    },
    onOutcome: (outcome, _row, ms) => onOutcome?.(outcome, ms),
    ...(onRetry ? { onRetry } : {}),
  });
}
