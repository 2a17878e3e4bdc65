import type { ClientEvent } from '../../bridge/matrix/appservice.ts';
import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import { noticeContent, sendEventOnce, type Text } from '../../bridge/matrix/send.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { errorInfo, logger } from '../../bridge/log.ts';
import { ArgumentError, parseArgs, usage } from './args.ts';
import { CommandError, ROLE_RANK, type CommandContext, type RoomInfo, type RoomKind } from './command.ts';
import type { CommandSet } from './registry.ts';
import { resolveRole, resolveRoom } from './rooms.ts';

const log = logger('bot.commands');

export interface CommandLine {
  name: string;
  rest: string;
}

/**
 * Reads a command from a message body: `<prefix>name args…` anywhere the bot is, or bare
 * `name args…` in a DM with the bot. Returns undefined for ordinary messages.
 */
export function readCommandLine(body: string, prefix: string, isDm: boolean): CommandLine | undefined {
  const text = body.trim();
  let line: string;
  if (text.startsWith(prefix)) line = text.slice(prefix.length);
  else if (isDm) line = text;
  else return undefined;
  const match = /^([a-zA-Z][\w-]*)(?:\s+([\s\S]*))?$/.exec(line);
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase(), rest: match[2]?.trim() ?? '' };
}

const PLACE: Record<RoomKind, string> = {
  dm: 'a DM with me',
  control: "a space's control room",
  conversation: 'a conversation room',
  other: 'any room',
};

interface Outcome {
  ok: boolean;
  reply?: Text | string;
}

/** Turns Matrix messages into command runs, and answers in the command's thread with ✅ or ⛔. */
export class CommandDispatcher {
  private readonly db: Queryable;
  private readonly matrix: MatrixGateway;
  private readonly commands: CommandSet;
  private readonly prefix: string;

  constructor(options: { db: Queryable; matrix: MatrixGateway; commands: CommandSet; prefix: string }) {
    this.db = options.db;
    this.matrix = options.matrix;
    this.commands = options.commands;
    this.prefix = options.prefix;
  }

  /** Whether a message is a command (internal: never bridged to a customer). */
  isCommand(body: string): boolean {
    return body.trim().startsWith(this.prefix);
  }

  async onEvent(event: ClientEvent): Promise<void> {
    if (event.type !== 'm.room.message' || this.matrix.isOwnUser(event.sender)) return;
    const content = event.content as { msgtype?: string; body?: unknown; 'm.new_content'?: unknown };
    if (content.msgtype !== 'm.text' || typeof content.body !== 'string' || content['m.new_content']) return;
    const quick = content.body.trim();
    const room = await resolveRoom(this.db, event.room_id);
    const line = readCommandLine(quick, this.prefix, room.kind === 'dm');
    if (!line) return;
    const outcome = await this.run(event, room, line);
    await this.answer(event, outcome);
  }

  private async run(event: ClientEvent, room: RoomInfo, line: CommandLine): Promise<Outcome> {
    const command = this.commands.find(line.name);
    if (!command) {
      // In a DM every message is read as a command; only answer there, or to the prefix elsewhere.
      return { ok: false, reply: `Unknown command "${line.name}". Send ${this.prefix}help for the list.` };
    }
    const role = await resolveRole(this.db, event.sender, room);
    if (ROLE_RANK[role] < ROLE_RANK[command.role]) {
      const where = room.spaceId ? 'in this space' : 'in any space';
      return { ok: false, reply: `${this.prefix}${command.name} needs the ${command.role} role ${where}.` };
    }
    if (!command.rooms.includes(room.kind) && !command.rooms.includes('other')) {
      const places = command.rooms.map((r) => PLACE[r]).join(' or ');
      return { ok: false, reply: `${this.prefix}${command.name} works in ${places}, not here.` };
    }
    let args;
    try {
      args = parseArgs(command.args, line.rest);
    } catch (err) {
      if (err instanceof ArgumentError) {
        return {
          ok: false,
          reply: `${err.message}. Usage: ${usage(command.name, command.args, this.prefix)}`,
        };
      }
      throw err;
    }
    let replies = 0;
    const context: CommandContext = {
      event,
      roomId: event.room_id,
      sender: event.sender,
      room,
      role,
      prefix: this.prefix,
      rawArgs: line.rest,
      reply: async (text) => {
        replies++;
        await this.send(event, text, `reply:${event.event_id}:${replies}`);
      },
    };
    try {
      const reply = await command.run(context, ...args);
      return { ok: true, ...(reply && replies === 0 ? { reply } : {}) };
    } catch (err) {
      if (err instanceof CommandError) return { ok: false, reply: err.message };
      log.error({ command: command.name, eventId: event.event_id, ...errorInfo(err) }, 'command failed');
      return {
        ok: false,
        reply: `${this.prefix}${command.name} failed because of an internal error; it was logged.`,
      };
    }
  }

  private async answer(event: ClientEvent, outcome: Outcome): Promise<void> {
    if (outcome.reply) await this.send(event, outcome.reply, `reply:${event.event_id}`);
    await sendEventOnce(
      this.matrix.botIntent,
      event.room_id,
      'm.reaction',
      {
        'm.relates_to': { rel_type: 'm.annotation', event_id: event.event_id, key: outcome.ok ? '✅' : '⛔' },
      },
      `reaction:${event.event_id}`,
    );
  }

  private async send(event: ClientEvent, text: Text | string, cause: string): Promise<void> {
    const relation = event.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
    const root = relation?.rel_type === 'm.thread' && relation.event_id ? relation.event_id : event.event_id;
    await sendEventOnce(
      this.matrix.botIntent,
      event.room_id,
      'm.room.message',
      {
        ...noticeContent(text),
        'm.relates_to': {
          rel_type: 'm.thread',
          event_id: root,
          is_falling_back: true,
          'm.in_reply_to': { event_id: event.event_id },
        },
      },
      cause,
    );
  }
}
