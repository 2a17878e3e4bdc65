import { arg } from './args.ts';
import { CommandError, defineCommand } from './command.ts';
import type { CommandSet } from './registry.ts';

/** `help` lists what the caller may run where they are; `help <command>` explains one. */
export function helpCommand(commands: CommandSet) {
  return defineCommand({
    name: 'help',
    aliases: ['commands'],
    summary: 'list the commands you can use, or explain one',
    args: [arg.word('command', 'the command to explain').orOmitted()],
    role: 'anyone',
    rooms: ['dm', 'control', 'conversation', 'other'],
    run: async (context, name) => {
      if (name === undefined) return commands.help(context.role, context.room.kind, context.prefix);
      const command = commands.find(name.replace(context.prefix, ''));
      if (!command)
        throw new CommandError(`There is no command "${name}". Send ${context.prefix}help for the list.`);
      return commands.describe(command, context.prefix);
    },
  });
}
