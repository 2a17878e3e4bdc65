import { ROLE_RANK, type AnyCommand, type Role, type RoomKind } from './command.ts';
import { usage } from './args.ts';
import type { Text } from '../../bridge/matrix/send.ts';

const ROOM_LABEL: Record<RoomKind, string> = {
  dm: 'in a direct message with me',
  control: "in a space's control room",
  conversation: 'in a conversation room',
  other: 'anywhere',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** All commands of the bot; help is compiled from their declarations. */
export class CommandSet {
  private readonly commands: AnyCommand[] = [];
  private readonly byName = new Map<string, AnyCommand>();

  add(...commands: AnyCommand[]): this {
    for (const command of commands) {
      for (const name of [command.name, ...(command.aliases ?? [])]) {
        if (this.byName.has(name)) throw new Error(`command "${name}" is declared twice`);
        this.byName.set(name, command);
      }
      this.commands.push(command);
    }
    return this;
  }

  find(name: string): AnyCommand | undefined {
    return this.byName.get(name.toLowerCase());
  }

  all(): readonly AnyCommand[] {
    return this.commands;
  }

  /** The commands this person may run here, grouped by where they run. */
  help(role: Role, room: RoomKind, prefix: string): Text {
    const allowed = this.commands.filter((c) => ROLE_RANK[role] >= ROLE_RANK[c.role]);
    const here = allowed.filter((c) => c.rooms.includes(room));
    const elsewhere = allowed.filter((c) => !c.rooms.includes(room));
    const lines: string[] = [];
    const html: string[] = [];
    const section = (title: string, list: AnyCommand[]) => {
      if (list.length === 0) return;
      lines.push(title);
      html.push(`<p><strong>${escapeHtml(title)}</strong></p><ul>`);
      for (const c of list) {
        const u = usage(c.name, c.args, prefix);
        lines.push(`  ${u} — ${c.summary}`);
        html.push(`<li><code>${escapeHtml(u)}</code> — ${escapeHtml(c.summary)}</li>`);
      }
      html.push('</ul>');
    };
    section('Commands you can use here:', here);
    const byRoom = new Map<RoomKind, AnyCommand[]>();
    for (const c of elsewhere) {
      const where = c.rooms[0] ?? 'other';
      byRoom.set(where, [...(byRoom.get(where) ?? []), c]);
    }
    for (const [where, list] of byRoom) section(`Commands you can use ${ROOM_LABEL[where]}:`, list);
    const footer = `Send ${prefix}help <command> for details.`;
    lines.push(footer);
    html.push(`<p>${escapeHtml(footer)}</p>`);
    return { body: lines.join('\n'), html: html.join('') };
  }

  /** Details of one command. */
  describe(command: AnyCommand, prefix: string): Text {
    const u = usage(command.name, command.args, prefix);
    const lines = [`${u} — ${command.summary}`];
    if (command.details) lines.push(command.details);
    for (const a of command.args)
      lines.push(`  ${a.name}${a.optional ? ' (optional)' : ''}: ${a.description}`);
    const roles =
      command.role === 'anyone'
        ? 'anyone'
        : `${command.role}s${command.role === 'agent' ? ' and admins' : ''}`;
    lines.push(`Who: ${roles}. Where: ${command.rooms.map((r) => ROOM_LABEL[r]).join(', ')}.`);
    if (command.aliases?.length) lines.push(`Also: ${command.aliases.map((a) => prefix + a).join(', ')}`);
    return { body: lines.join('\n') };
  }
}
