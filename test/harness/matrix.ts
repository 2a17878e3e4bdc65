import {
  ClientEvent,
  createClient,
  EventStatus,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';
import { logger as globalLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';

/*
 * Helpers for agents' clients. Every wait looks at what the client already has before listening
 * for what comes next (an invite or a message may have arrived before the test asked), and a
 * timeout says what was awaited and what the client saw instead.
 */

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
// matrix-js-sdk logs every sync hiccup; tests want silence unless MATRIX_JS_LOG names a level.
const sdkLevel = process.env.MATRIX_JS_LOG as (typeof LEVELS)[number] | undefined;

function quietLogger(): Logger {
  const min = sdkLevel ? LEVELS.indexOf(sdkLevel) : LEVELS.length;
  const method = (level: (typeof LEVELS)[number]) =>
    LEVELS.indexOf(level) >= min
      ? (...msg: unknown[]) => console[level === 'trace' ? 'debug' : level](...msg)
      : () => {};
  const logger: Logger = {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    getChild: () => logger,
  };
  return logger;
}

// Some SDK modules (MatrixRTC) log through children of the global logger, which copy its
// methodFactory when created: a silent factory silences them all.
const root = globalLogger as unknown as { methodFactory?: unknown; rebuild?: () => void };
if (!sdkLevel) {
  root.methodFactory = () => () => {};
  root.rebuild?.();
}

export interface ClientUser {
  userId: string;
  accessToken: string;
  deviceId: string;
}

/** A started client for `user`, resolved once its first sync is PREPARED. */
export async function startClient(
  baseUrl: string,
  user: ClientUser,
  timeoutMs = 30_000,
): Promise<MatrixClient> {
  const { userId, accessToken, deviceId } = user;
  const client = createClient({ baseUrl, userId, accessToken, deviceId, logger: quietLogger() });
  const prepared = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.stopClient();
      reject(
        new Error(
          `${user.userId}: first sync not PREPARED after ${timeoutMs} ms (state ${client.getSyncState()})`,
        ),
      );
    }, timeoutMs);
    client.on(ClientEvent.Sync, (state) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return client;
}

function describeEvent(ev: MatrixEvent): string {
  const content = ev.getContent();
  const detail =
    typeof content.body === 'string' ? JSON.stringify(content.body.slice(0, 80)) : (content.membership ?? '');
  const state = ev.isState() ? ` [${ev.getStateKey()}]` : '';
  return `${ev.getRoomId()} ${ev.getType()}${state} from ${ev.getSender()} ${detail}`.trimEnd();
}

/**
 * Re-evaluates `check` whenever the client learns something (and every 250 ms as a safety net)
 * until it returns a value; `seen` describes the state for the timeout message.
 */
export function waitUntil<T>(
  client: MatrixClient,
  what: string,
  check: () => T | undefined,
  seen: () => string,
  timeoutMs = 20_000,
): Promise<T> {
  const first = check();
  if (first !== undefined) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    const events = [ClientEvent.Sync, ClientEvent.Room, RoomEvent.MyMembership, RoomEvent.Timeline] as const;
    const members = [RoomMemberEvent.Membership, RoomStateEvent.Members] as const;
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(poll);
      for (const e of events) client.off(e, onChange);
      for (const e of members) client.off(e, onChange);
    };
    const onChange = (): void => {
      const result = check();
      if (result === undefined) return;
      cleanup();
      resolve(result);
    };
    for (const e of events) client.on(e, onChange);
    for (const e of members) client.on(e, onChange);
    const poll = setInterval(onChange, 250);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${client.getUserId()} waited ${timeoutMs} ms for ${what}; instead: ${seen()}`));
    }, timeoutMs);
  });
}

export interface WaitForEventOptions {
  roomId?: string;
  type?: string;
  sender?: string;
  predicate?: (event: MatrixEvent) => boolean;
  /** Only events after this one (event ID) or at/after this time (ms since epoch). */
  since?: string | number;
  timeoutMs?: number;
}

function criteria(o: WaitForEventOptions): string {
  const parts = Object.entries({ roomId: o.roomId, type: o.type, sender: o.sender, since: o.since })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  if (o.predicate) parts.push('predicate');
  return `event {${parts.join(', ')}}`;
}

async function sinceTimestamp(client: MatrixClient, o: WaitForEventOptions): Promise<number> {
  if (o.since === undefined) return 0;
  if (typeof o.since === 'number') return o.since;
  const rooms = o.roomId ? [client.getRoom(o.roomId)] : client.getRooms();
  for (const room of rooms) {
    const found = room?.findEventById(o.since);
    if (found) return found.getTs();
  }
  if (!o.roomId)
    throw new Error(`waitForRoomEvent: since event ${o.since} is unknown to the client; give roomId`);
  return (await client.fetchRoomEvent(o.roomId, o.since)).origin_server_ts ?? 0;
}

/** The first event (already in the live timeline, or arriving later) that matches every criterion. */
export async function waitForRoomEvent(client: MatrixClient, o: WaitForEventOptions): Promise<MatrixEvent> {
  const sinceTs = await sinceTimestamp(client, o);
  const recent: MatrixEvent[] = [];
  // afterSince: the caller already knows the event comes after `since` in timeline order.
  const matches = (ev: MatrixEvent, afterSince = false): boolean => {
    // A local echo that the server has not accepted yet is not an event of the room.
    if (ev.status !== null && ev.status !== EventStatus.SENT) return false;
    if (o.roomId !== undefined && ev.getRoomId() !== o.roomId) return false;
    if (o.type !== undefined && ev.getType() !== o.type) return false;
    if (o.sender !== undefined && ev.getSender() !== o.sender) return false;
    if (o.since !== undefined && !afterSince && (ev.getId() === o.since || ev.getTs() < sinceTs))
      return false;
    return o.predicate ? o.predicate(ev) : true;
  };
  const note = (ev: MatrixEvent): void => {
    recent.push(ev);
    if (recent.length > 15) recent.shift();
  };

  const rooms: Room[] = o.roomId ? [client.getRoom(o.roomId)].filter((r) => r !== null) : client.getRooms();
  for (const room of rooms) {
    const events = room.getLiveTimeline().getEvents();
    // Where the `since` event is in this timeline, order decides (events may share its millisecond).
    const at = typeof o.since === 'string' ? events.findIndex((e) => e.getId() === o.since) : -1;
    for (const [i, ev] of events.entries()) {
      note(ev);
      if (at >= 0 && i <= at) continue;
      if (matches(ev, at >= 0)) return ev;
    }
  }

  return new Promise<MatrixEvent>((resolve, reject) => {
    const onEvent = (ev: MatrixEvent, _room?: Room, toStart?: boolean, removed?: boolean): void => {
      if (toStart || removed) return;
      note(ev);
      if (!matches(ev)) return;
      cleanup();
      resolve(ev);
    };
    const onEcho = (ev: MatrixEvent): void => onEvent(ev);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off(RoomEvent.Timeline, onEvent);
      client.off(RoomEvent.LocalEchoUpdated, onEcho);
    };
    client.on(RoomEvent.Timeline, onEvent);
    client.on(RoomEvent.LocalEchoUpdated, onEcho);
    const timeoutMs = o.timeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      cleanup();
      const saw = recent.length ? recent.map(describeEvent).join('\n  ') : 'no events at all';
      reject(
        new Error(
          `${client.getUserId()} waited ${timeoutMs} ms for ${criteria(o)}; last events seen:\n  ${saw}`,
        ),
      );
    }, timeoutMs);
  });
}

function inviter(client: MatrixClient, room: Room): string | undefined {
  return room.getMember(client.getSafeUserId())?.events.member?.getSender();
}

function membershipSummary(client: MatrixClient): string {
  const rooms = client.getRooms();
  if (rooms.length === 0) return 'the client is in no room and has no invite';
  return rooms
    .map(
      (r) => `${r.roomId}: ${r.getMyMembership()}${inviter(client, r) ? ` (by ${inviter(client, r)})` : ''}`,
    )
    .join('; ');
}

/** The room ID of a pending invite (the newest one if several match). */
export function waitForInvite(
  client: MatrixClient,
  o: { roomId?: string; from?: string; timeoutMs?: number } = {},
): Promise<string> {
  const what = `an invite${o.roomId ? ` to ${o.roomId}` : ''}${o.from ? ` from ${o.from}` : ''}`;
  const check = (): string | undefined => {
    const invites = client
      .getRooms()
      .filter((r) => r.getMyMembership() === 'invite')
      .filter((r) => o.roomId === undefined || r.roomId === o.roomId)
      .filter((r) => o.from === undefined || inviter(client, r) === o.from);
    const ts = (r: Room): number => r.getMember(client.getSafeUserId())?.events.member?.getTs() ?? 0;
    return invites.sort((a, b) => ts(b) - ts(a))[0]?.roomId;
  };
  return waitUntil(client, what, check, () => membershipSummary(client), o.timeoutMs);
}

export function waitForMembership(
  client: MatrixClient,
  roomId: string,
  userId: string,
  membership: string,
  timeoutMs?: number,
): Promise<void> {
  const seen = (): string => {
    const room = client.getRoom(roomId);
    if (!room) return `${roomId} is unknown to this client (${membershipSummary(client)})`;
    return `${userId} is ${room.getMember(userId)?.membership ?? 'not a member'} in ${roomId}`;
  };
  const check = (): true | undefined =>
    client.getRoom(roomId)?.getMember(userId)?.membership === membership ? true : undefined;
  return waitUntil(client, `${userId} to be ${membership} in ${roomId}`, check, seen, timeoutMs).then(
    () => undefined,
  );
}

export function waitForJoin(
  client: MatrixClient,
  roomId: string,
  userId: string,
  timeoutMs?: number,
): Promise<void> {
  return waitForMembership(client, roomId, userId, 'join', timeoutMs);
}

/** Sends an m.text message and returns its event ID. */
export async function sendText(client: MatrixClient, roomId: string, body: string): Promise<string> {
  const { event_id } = await client.sendTextMessage(roomId, body);
  return event_id;
}
