import { randomUUID } from 'node:crypto';

/*
 * An agent's Matrix client for the demo, over the plain client-server API: log in with the
 * password the dev stack printed, follow /sync, accept an invitation, write. It does only what a
 * person in Element would do.
 */

export interface RoomMessage {
  roomId: string;
  eventId: string;
  sender: string;
  type: string;
  body: string;
  msgtype?: string;
  inThread: boolean;
  at: number;
}

interface SyncResponse {
  next_batch: string;
  rooms?: {
    invite?: Record<string, unknown>;
    join?: Record<string, { timeline?: { events?: RawEvent[] } }>;
  };
}

interface RawEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: { body?: string; msgtype?: string; 'm.relates_to'?: { rel_type?: string } };
}

export class DemoAgent {
  readonly userId: string;
  private readonly homeserver: string;
  private token = '';
  private since: string | undefined;
  private readonly invites = new Set<string>();
  readonly messages: RoomMessage[] = [];

  constructor(homeserver: string, userId: string) {
    this.homeserver = homeserver;
    this.userId = userId;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.homeserver}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & { errcode?: string; error?: string };
    if (!res.ok)
      throw new Error(
        `${method} ${path.split('?')[0]}: ${res.status} ${json.errcode ?? ''} ${json.error ?? ''}`,
      );
    return json;
  }

  async login(password: string): Promise<void> {
    const session = await this.call<{ access_token: string }>('POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: this.userId },
      password,
      initial_device_display_name: 'livechat demo',
    });
    this.token = session.access_token;
    await this.sync(0);
  }

  /** One /sync round: records invitations and new room messages. */
  async sync(timeoutMs = 5000): Promise<void> {
    // A room joined now comes with its recent history, as a client shows it on joining.
    const filter = JSON.stringify({ room: { timeline: { limit: 50 } } });
    const query = new URLSearchParams({
      timeout: String(timeoutMs),
      filter,
      ...(this.since ? { since: this.since } : {}),
    });
    const body = await this.call<SyncResponse>('GET', `/_matrix/client/v3/sync?${query}`);
    const first = this.since === undefined;
    this.since = body.next_batch;
    for (const roomId of Object.keys(body.rooms?.invite ?? {})) this.invites.add(roomId);
    if (first) return;
    for (const [roomId, room] of Object.entries(body.rooms?.join ?? {})) {
      for (const event of room.timeline?.events ?? []) {
        if (event.type !== 'm.room.message' || this.messages.some((m) => m.eventId === event.event_id))
          continue;
        this.messages.push({
          roomId,
          eventId: event.event_id,
          sender: event.sender,
          type: event.type,
          body: event.content.body ?? '',
          ...(event.content.msgtype ? { msgtype: event.content.msgtype } : {}),
          inThread: event.content['m.relates_to']?.rel_type === 'm.thread',
          at: event.origin_server_ts,
        });
      }
    }
  }

  /** Syncs until `check` finds something (or the time runs out). */
  async until<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`${this.userId} waited ${timeoutMs / 1000} s for ${what}`);
      await this.sync(1000);
    }
  }

  nextInvite(): string | undefined {
    const [roomId] = this.invites;
    return roomId;
  }

  async join(roomId: string): Promise<void> {
    await this.call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    this.invites.delete(roomId);
  }

  async say(roomId: string, body: string): Promise<string> {
    const sent = await this.call<{ event_id: string }>(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${randomUUID()}`,
      { msgtype: 'm.text', body },
    );
    return sent.event_id;
  }

  async logout(): Promise<void> {
    await this.call('POST', '/_matrix/client/v3/logout', {}).catch(() => undefined);
  }
}
