import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppService } from 'matrix-appservice-bridge';
import type { Database } from '../store/db.ts';
import { errorInfo, logger } from '../log.ts';
import { insertEvents, keptEvents } from './event-store.ts';

const log = logger('bridge.matrix.appservice');

/** The fields of a room event this bridge reads; the whole event is kept as JSON as well. */
export interface ClientEvent {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts?: number;
  unsigned?: Record<string, unknown>;
}

export interface EphemeralEvent {
  type: string;
  room_id?: string;
  content: Record<string, unknown>;
}

export interface DurableAppServiceOptions {
  homeserverToken: string;
  db: Database;
  /** Events sent by these users are echoes of our own sends; membership events are kept all the same. */
  isOwnUser(userId: string): boolean;
  /** Called after a transaction's events are committed (to wake the event worker). */
  onStored(count: number): void;
  /** Ephemeral events (receipts, typing) are not stored: they only matter while fresh. */
  onEphemeral(events: EphemeralEvent[]): void;
  onTransactionMetric?(outcome: 'stored' | 'duplicate' | 'error', events: number): void;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * The appservice HTTP listener. The framework's listener acknowledges a transaction before anything
 * is done with it, so a crash right after would lose its events; this one acknowledges only after
 * the events are committed to Postgres; a redelivered transaction or event is stored once.
 */
export class DurableAppService extends AppService {
  private readonly durable: DurableAppServiceOptions;
  private readonly tokenDigest: Buffer;

  constructor(options: DurableAppServiceOptions) {
    super({ homeserverToken: options.homeserverToken, httpMaxSizeBytes: 10_000_000 });
    this.durable = options;
    this.tokenDigest = digest(options.homeserverToken);
    this.expressApp.post('/_matrix/app/v1/ping', (req, res) => {
      if (this.rejectToken(req, res)) return;
      res.json({});
    });
  }

  /** Constant-time comparison of the homeserver's token; 401 when absent, 403 when wrong. */
  rejectToken(req: Request, res: Response): boolean {
    const header = req.headers.authorization;
    const provided = header?.startsWith('Bearer ')
      ? header.slice('Bearer '.length)
      : typeof req.query.access_token === 'string'
        ? req.query.access_token
        : undefined;
    if (provided === undefined) {
      res.status(401).json({ errcode: 'M_UNAUTHORIZED', error: 'Missing homeserver token' });
      return true;
    }
    if (!timingSafeEqual(digest(provided), this.tokenDigest)) {
      res.status(403).json({ errcode: 'M_FORBIDDEN', error: 'Bad homeserver token' });
      return true;
    }
    return false;
  }

  /*
   * The events are inserted even when the transaction ID was seen before: Synapse on SQLite numbers
   * transactions from the ones it still holds, so after its restart an ID can come back with other
   * events. Events are unique by ID, so a true redelivery stores nothing twice either way.
   */
  async storeTransaction(txnId: string, body: Record<string, unknown>): Promise<'stored' | 'duplicate'> {
    const events = (Array.isArray(body.events) ? body.events : []).filter(isRoomEvent);
    const kept = keptEvents(events, (userId) => this.durable.isOwnUser(userId));
    const { seen, inserted } = await this.durable.db.tx(async (client) => {
      const txn = await client.query(
        'INSERT INTO as_transactions (txn_id, event_count) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [txnId, kept.length],
      );
      return { seen: txn.rowCount === 0, inserted: await insertEvents(client, kept) };
    });
    if (inserted > 0) this.durable.onStored(inserted);
    return seen && inserted === 0 ? 'duplicate' : 'stored';
  }
}

function isRoomEvent(event: unknown): event is ClientEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    typeof e.event_id === 'string' &&
    typeof e.room_id === 'string' &&
    typeof e.type === 'string' &&
    typeof e.sender === 'string' &&
    typeof e.content === 'object'
  );
}

async function onTransaction(this: DurableAppService, req: Request, res: Response): Promise<void> {
  if (this.rejectToken(req, res)) return;
  const txnId = String(req.params.txnId ?? '');
  const body = req.body as Record<string, unknown> | undefined;
  if (!txnId || typeof body !== 'object' || body === null) {
    res.status(400).json({ errcode: 'M_BAD_JSON', error: 'Expected a transaction body' });
    return;
  }
  const options = (this as unknown as { durable: DurableAppServiceOptions }).durable;
  const count = Array.isArray(body.events) ? body.events.length : 0;
  try {
    const outcome = await this.storeTransaction(txnId, body);
    options.onTransactionMetric?.(outcome, count);
  } catch (err) {
    // Not acknowledged: the homeserver keeps the transaction and sends it again.
    log.error({ txnId, ...errorInfo(err) }, 'could not store a transaction; the homeserver will retry');
    options.onTransactionMetric?.('error', count);
    res.status(500).json({ errcode: 'M_UNKNOWN', error: 'Could not store the transaction' });
    return;
  }
  const ephemeral = body.ephemeral ?? body['de.sorunome.msc2409.ephemeral'];
  if (Array.isArray(ephemeral) && ephemeral.length > 0) {
    try {
      options.onEphemeral(ephemeral as EphemeralEvent[]);
    } catch (err) {
      log.warn(errorInfo(err), 'an ephemeral event handler failed');
    }
  }
  res.json({});
}

// The base class binds these handlers in its constructor, so they are replaced on the prototype
// (they are private in its type declarations, hence the cast).
Object.assign(DurableAppService.prototype as unknown as Record<string, unknown>, {
  onTransaction,
  isInvalidToken(this: DurableAppService, req: Request, res: Response) {
    return this.rejectToken(req, res);
  },
});
