import type { ClientEvent } from '../../bridge/matrix/appservice.ts';
import type { Text } from '../../bridge/matrix/send.ts';
import type { Arg, ArgValues } from './args.ts';

/** Who may run a command. Admins can do everything agents can; anyone includes people without a seat. */
export type Role = 'anyone' | 'agent' | 'admin';

export const ROLE_RANK: Record<Role, number> = { anyone: 0, agent: 1, admin: 2 };

/** Where a command runs: a DM with the bot, a space's control room, or a conversation room. */
export type RoomKind = 'dm' | 'control' | 'conversation' | 'other';

export interface RoomInfo {
  kind: RoomKind;
  spaceId?: string;
  conversationId?: string;
}

export interface CommandContext {
  event: ClientEvent;
  roomId: string;
  sender: string;
  room: RoomInfo;
  /** The sender's role where the command runs (in a DM: the highest role they hold in any space). */
  role: Role;
  prefix: string;
  /** The text after the command's name, exactly as typed (for arguments that keep spaces). */
  rawArgs: string;
  /** Replies in the command's thread. */
  reply(text: Text | string): Promise<void>;
}

/** A refusal or failure the person who typed the command should read (⛔ + this message). */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface Command<A extends readonly Arg<unknown>[] = readonly Arg<unknown>[]> {
  name: string;
  aliases?: readonly string[];
  summary: string;
  /** Longer help shown by `help <command>`. */
  details?: string;
  args: A;
  role: Role;
  rooms: readonly RoomKind[];
  /** The reply (✅ is added), or nothing when the command replied itself. */
  run(context: CommandContext, ...args: ArgValues<A>): Promise<Text | string | void>;
}

/** Declares a command; the argument list types the run function's parameters. */
export function defineCommand<const A extends readonly Arg<unknown>[]>(command: Command<A>): Command<A> {
  return command;
}

export type AnyCommand = Command<readonly Arg<unknown>[]>;
