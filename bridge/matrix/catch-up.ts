import type { Database } from '../store/db.ts';
import { errorInfo, logger } from '../log.ts';
import type { ClientEvent } from './appservice.ts';
import { insertEvents, keptEvents } from './event-store.ts';

const log = logger('bridge.matrix.catch-up');

export interface CatchUpOptions {
  db: Database;
  /** A page of a room's timeline, newest first. */
  roomMessages(roomId: string, from?: string): Promise<{ chunk: ClientEvent[]; end?: string }>;
  isOwnUser(userId: string): boolean;
  /** Events were recovered and stored (wake the event worker, count them). */
  onRecovered(count: number): void;
  /** Between sweeps (default 5 minutes). */
  intervalMs?: number;
  /** How far back the first sweep looks, in room activity and in event age (default 15 minutes). */
  windowMs?: number;
  /** Later sweeps look back to where the previous one stopped, less this (clock skew; default 60 s). */
  overlapMs?: number;
  /** An event younger than this may still be on its way in a transaction (default 10 s). */
  graceMs?: number;
  /** Delay of the sweep after start-up and after an outage (default 30 s). */
  settleMs?: number;
}

const PAGES = 5;
const PARALLEL_ROOMS = 4;

/*
 * Synapse can leave an appservice transaction unsent: when its recoverer (running after the bridge
 * was unreachable) finds nothing more to send, it marks the appservice up a moment later, and an
 * event created in between is stored in a transaction that is only sent at the next outage. The
 * bridge never hears of that event unless it looks. So it looks: after start-up, after an outage,
 * and every few minutes, it reads the recent timeline of rooms active lately and stores the events
 * it has not received, older than a grace period so that nothing on its way is taken early. Each
 * sweep starts where the previous one stopped (less an overlap for clock skew between the bridge
 * and the homeserver), so a busy room costs one page per sweep, not its whole recent history. The
 * event worker then handles them like any other (they come after the room's newer events, which is
 * better than never); Synapse's own late delivery is ignored because events are unique by ID.
 */
export class EventCatchUp {
  private readonly options: Required<CatchUpOptions>;
  private timer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  /** Events up to this time (ms, bridge clock) were looked at by the last sweep. */
  private lookedUntil: number | undefined;

  constructor(options: CatchUpOptions) {
    this.options = {
      intervalMs: 5 * 60_000,
      windowMs: 15 * 60_000,
      graceMs: 10_000,
      overlapMs: 60_000,
      settleMs: 30_000,
      ...options,
    };
  }

  start(): void {
    this.soon();
    this.interval = setInterval(() => void this.sweepLogged(), this.options.intervalMs).unref();
  }

  /** A sweep once Synapse's recovery after an outage has run its course. */
  soon(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sweepLogged(), this.options.settleMs).unref();
  }

  /** Looks once at every room active within the window; returns how many events were recovered. */
  sweep(): Promise<number> {
    this.running ??= this.sweepRooms().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.interval);
    await this.running?.catch(() => undefined);
  }

  private async sweepLogged(): Promise<void> {
    if (this.stopped) return;
    await this.sweep().catch((err) => log.warn(errorInfo(err), 'the catch-up sweep failed'));
  }

  private async sweepRooms(): Promise<number> {
    const now = Date.now();
    const since =
      this.lookedUntil === undefined
        ? now - this.options.windowMs
        : this.lookedUntil - this.options.overlapMs;
    const until = now - this.options.graceMs;
    const windowSeconds = (now - since) / 1000;
    const { rows } = await this.options.db.query<{ room_id: string }>(
      `SELECT room_id FROM matrix_events WHERE received_at > now() - make_interval(secs => $1)
       UNION
       SELECT room_id FROM conversations
       WHERE room_id IS NOT NULL AND archived_at IS NULL AND last_activity_at > now() - make_interval(secs => $1)`,
      [windowSeconds],
    );
    const rooms = rows.map((r) => r.room_id);
    let recovered = 0;
    let unread = false;
    for (let i = 0; i < rooms.length && !this.stopped; i += PARALLEL_ROOMS) {
      const counts = await Promise.all(
        rooms.slice(i, i + PARALLEL_ROOMS).map((roomId) =>
          this.catchUpRoom(roomId, since, until).catch((err) => {
            // A room the bot has left or was never in (a declined invitation) is not news.
            const status = (err as { statusCode?: unknown }).statusCode;
            const level = status === 403 || status === 404 ? 'debug' : 'warn';
            if (level === 'warn') unread = true;
            log[level]({ roomId, ...errorInfo(err) }, 'could not read a room for the catch-up sweep');
            return 0;
          }),
        ),
      );
      recovered += counts.reduce((a, b) => a + b, 0);
    }
    // A room that could not be read is looked at again from the same point next time.
    if (!unread) this.lookedUntil = until;
    log.debug({ rooms: rooms.length, recovered }, 'catch-up sweep done');
    return recovered;
  }

  private async catchUpRoom(roomId: string, since: number, until: number): Promise<number> {
    const seen: ClientEvent[] = [];
    let from: string | undefined;
    for (let page = 0; page < PAGES; page++) {
      const { chunk, end } = await this.options.roomMessages(roomId, from);
      seen.push(...chunk);
      const oldest = chunk.at(-1)?.origin_server_ts;
      if (!end || chunk.length === 0 || oldest === undefined || oldest < since) break;
      from = end;
    }
    const candidates = keptEvents(
      seen.filter(
        (e) => e.origin_server_ts !== undefined && e.origin_server_ts >= since && e.origin_server_ts <= until,
      ),
      this.options.isOwnUser,
    );
    if (candidates.length === 0) return 0;
    const { rows } = await this.options.db.query<{ event_id: string }>(
      'SELECT event_id FROM matrix_events WHERE event_id = ANY($1)',
      [candidates.map((e) => e.event_id)],
    );
    const known = new Set(rows.map((r) => r.event_id));
    // The page is newest first; the worker takes a room's events in the order they are stored.
    const missing = candidates.filter((e) => !known.has(e.event_id)).reverse();
    const inserted = await insertEvents(
      this.options.db,
      missing.map((e) => ({ ...e, room_id: roomId })),
    );
    if (inserted > 0) {
      log.warn(
        { roomId, events: missing.map((e) => e.event_id) },
        'stored events the homeserver had not delivered',
      );
      this.options.onRecovered(inserted);
    }
    return inserted;
  }
}
