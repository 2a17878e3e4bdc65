import type { Stack } from '../harness/stack.ts';
import type { FaultEnv } from './support.ts';

/*
 * The counting that decides lost and duplicated messages in the fault tests, from what Synapse and
 * the phone hold, and the tables they print.
 */

/** Every m.room.message body in a room by sender, read from Synapse (all pages). */
export async function roomMessages(
  stack: Stack,
  roomId: string,
): Promise<{ sender: string; body: string }[]> {
  const out: { sender: string; body: string }[] = [];
  let from: string | undefined;
  for (let page = 0; page < 200; page++) {
    const url = new URL(
      `${stack.synapse.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`,
    );
    url.searchParams.set('dir', 'b');
    url.searchParams.set('limit', '1000');
    if (from) url.searchParams.set('from', from);
    const res = await fetch(url, { headers: { authorization: `Bearer ${stack.agent.accessToken}` } });
    if (!res.ok) throw new Error(`messages of ${roomId}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as {
      chunk: { type: string; sender: string; content: { body?: string } }[];
      end?: string;
    };
    for (const e of body.chunk)
      if (e.type === 'm.room.message' && typeof e.content.body === 'string')
        out.push({ sender: e.sender, body: e.content.body });
    if (!body.end || body.chunk.length === 0) break;
    from = body.end;
  }
  return out;
}

export interface Tally {
  direction: string;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
}

/** Compares what was sent with what arrived, by unique body. */
export function tally(direction: string, sent: string[], arrived: string[]): Tally {
  const seen = new Map<string, number>();
  for (const body of arrived) seen.set(body, (seen.get(body) ?? 0) + 1);
  const expected = new Set(sent);
  return {
    direction,
    sent: sent.length,
    delivered: [...expected].filter((b) => seen.has(b)).length,
    lost: [...expected].filter((b) => !seen.has(b)).length,
    duplicated: [...seen].filter(([b, n]) => expected.has(b) && n > 1).reduce((sum, [, n]) => sum + n - 1, 0),
  };
}

/** What customers sent, against what their ghosts posted in the conversation rooms. */
export async function tallyInRooms(
  env: FaultEnv,
  sent: string[],
  direction = 'customer → room',
): Promise<Tally> {
  const arrived: string[] = [];
  for (const room of env.rooms)
    for (const m of await roomMessages(env.stack, room.roomId))
      if (m.sender === room.ghost) arrived.push(m.body);
  return tally(direction, sent, arrived);
}

/** What agents sent, against what reached the phone. */
export function tallyAtPhone(env: FaultEnv, sent: string[], direction = 'agent → customer'): Tally {
  return tally(
    direction,
    sent,
    env.stack.phone.messages.map((m) => m.text ?? ''),
  );
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  const headers = Object.keys(rows[0] ?? {});
  const lines = [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${headers.map((h) => String(r[h])).join(' | ')} |`),
  ];
  console.log(`\n${title}\n${lines.join('\n')}\n`);
}
