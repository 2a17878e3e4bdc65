import type { Queryable } from '../../bridge/store/db.ts';
import { ArgumentError } from './args.ts';
import { CommandError } from './command.ts';

/*
 * How admins name a conversation in commands: its number in the space (#12, or 12, as `queue` and
 * `mine` show it), its room ID (!abc:example.com), or a matrix.to link to its room. Numbers stay
 * the same while the queue moves, unlike positions, so `assign #12 @bob` never takes another one.
 */

export type ConversationRef = { number: number } | { roomId: string };

// Room version 12 IDs have no server part (!abc…); older ones do (!abc:example.com).
const ROOM_ID = /^![^:\s/?#]+(:[a-zA-Z0-9.-]+(:\d+)?)?$/;

export function parseConversationRef(raw: string, name = 'conversation'): ConversationRef {
  const number = /^#?(\d{1,9})$/.exec(raw);
  if (number) return { number: Number(number[1]) };
  let candidate = raw;
  const link = /^https:\/\/matrix\.to\/#\/([^?/]+)/.exec(raw);
  if (link) {
    try {
      candidate = decodeURIComponent(link[1]!);
    } catch {
      candidate = link[1]!;
    }
  }
  if (ROOM_ID.test(candidate)) return { roomId: candidate };
  throw new ArgumentError(
    `<${name}> must be a conversation number like #12, a room ID or a matrix.to link, not "${raw}"`,
  );
}

export function describeRef(ref: ConversationRef): string {
  return 'number' in ref ? `#${ref.number}` : ref.roomId;
}

/** The conversation's id, if the reference names one of the space's conversations. */
export async function resolveConversationRef(
  db: Queryable,
  spaceId: string,
  ref: ConversationRef,
): Promise<string> {
  const result =
    'number' in ref
      ? await db.query<{ id: string }>('SELECT id FROM conversations WHERE space_id = $1 AND number = $2', [
          spaceId,
          ref.number,
        ])
      : await db.query<{ id: string }>('SELECT id FROM conversations WHERE space_id = $1 AND room_id = $2', [
          spaceId,
          ref.roomId,
        ]);
  const id = result.rows[0]?.id;
  if (!id) throw new CommandError(`There is no conversation ${describeRef(ref)} in this space.`);
  return id;
}
