import { CHANNEL_NAMES, contactAddressLabel } from '../../bridge/portal/names.ts';
import { getContact, type Contact } from '../../bridge/store/contacts.ts';
import type { Database, Queryable } from '../../bridge/store/db.ts';
import {
  addNote,
  addTag,
  applyAttribute,
  checkAttribute,
  checkTag,
  contactProfile,
  ProfileError,
  removeTag,
  UnknownTagError,
  type ProfileChange,
} from '../contacts/profile.ts';
import { TagError } from '../contacts/tags.ts';
import { AttributeError } from '../contacts/values.ts';
import { describeActor, describeJourney } from '../journey/describe.ts';
import { listJourney, type JourneyRecord } from '../journey/store.ts';
import { describeState } from '../lifecycle/machine.ts';
import { loadConversation } from '../lifecycle/conversation.ts';
import { arg } from './args.ts';
import { CommandError, defineCommand, type CommandContext } from './command.ts';
import { customerName, plural, when } from './format.ts';

/*
 * The contact profile from the conversation room: internal notes, tags, attributes, the profile
 * and the journey. Every change is stored with who made it and when, recorded in the journey and
 * shown on the room's contact card; none of it reaches the customer (commands are internal).
 */

export interface ContactCommandDeps {
  db: Database;
  now(): Date;
  /** Effects were queued (the contact card). */
  wake(): void;
}

interface Here {
  contact: Contact;
  conversationId: string;
  spaceId: string;
}

async function here(db: Queryable, context: CommandContext): Promise<Here> {
  const conversation = context.room.conversationId
    ? await loadConversation(db, context.room.conversationId)
    : undefined;
  if (!conversation) throw new CommandError('This room is not a conversation any more.');
  const contact = await getContact(db, conversation.contactId);
  if (!contact) throw new CommandError("This conversation's contact no longer exists.");
  return { contact, conversationId: conversation.id, spaceId: conversation.spaceId };
}

/** Runs a change in a transaction; the profile's own refusals become the command's. */
async function change<T>(
  deps: ContactCommandDeps,
  context: CommandContext,
  fn: (tx: Queryable, where: Here, change: ProfileChange) => Promise<T>,
): Promise<T> {
  try {
    const result = await deps.db.tx(async (tx) => {
      const where = await here(tx, context);
      return fn(tx, where, { actor: context.sender, at: deps.now(), conversationId: where.conversationId });
    });
    deps.wake();
    return result;
  } catch (err) {
    if (err instanceof UnknownTagError) {
      throw new CommandError(
        `${err.message} An admin can add one with ${context.prefix}tags create <name> in the control room.`,
      );
    }
    if (err instanceof TagError || err instanceof AttributeError || err instanceof ProfileError) {
      throw new CommandError(err.message);
    }
    throw err;
  }
}

function journeyLine(entry: JourneyRecord): string {
  return `${when(entry.at)} · ${describeJourney(entry)} — ${describeActor(entry.actor)}`;
}

/** `key=value` (or `key=` to remove); spaces around = are allowed. */
function assignment(raw: string, prefix: string): { key: string; value: string | null } {
  const match = /^([^=\s]+)\s*=\s*([\s\S]*)$/.exec(raw.trim());
  if (!match) {
    throw new CommandError(
      `Write the attribute and its value with =, e.g. ${prefix}set email=ana@example.com (${prefix}set email= removes it).`,
    );
  }
  let value = match[2]!.trim();
  if (/^".*"$/s.test(value)) value = value.slice(1, -1);
  return { key: match[1]!, value: value === '' ? null : value };
}

export function contactCommands(deps: ContactCommandDeps) {
  const { db } = deps;

  const note = defineCommand({
    name: 'note',
    summary: 'add an internal note about the customer (never sent to them)',
    details:
      'Notes are kept with the contact: contact shows how many, the API returns them, the journey records them.',
    args: [arg.rest('text', 'the note')],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context) => {
      const count = await change(deps, context, async (tx, where, c) => {
        await addNote(tx, where.contact, context.rawArgs, { ...c, cause: `note:${context.event.event_id}` });
        const n = await tx.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM contact_notes WHERE contact_id = $1',
          [where.contact.id],
        );
        return n.rows[0]!.n;
      });
      return `Note saved (internal: the customer does not see it). This contact has ${plural(count, 'note')}.`;
    },
  });

  const tag = defineCommand({
    name: 'tag',
    summary: "tag the customer with one of the space's tags",
    details: `Tags are created by admins (tags create <name> in the control room). The bot also tags by itself: new (first message), campaign:<name>.`,
    args: [arg.word('name', 'the tag')],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context, name) => {
      const outcome = await change(deps, context, async (tx, where, c) => {
        const checked = await checkTag(tx, where.spaceId, name);
        return {
          name: checked,
          added: await addTag(tx, where.contact, checked, 'manual', c),
          who: where.contact,
        };
      });
      return outcome.added
        ? `Tagged ${outcome.name}.`
        : `${customerName(outcome.who)} already has the tag ${outcome.name}.`;
    },
  });

  const untag = defineCommand({
    name: 'untag',
    summary: 'remove a tag from the customer',
    args: [arg.word('name', 'the tag')],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context, name) => {
      await change(deps, context, async (tx, where, c) => {
        if (!(await removeTag(tx, where.contact, name, c))) {
          const tags = await tx.query<{ name: string }>(
            'SELECT name FROM contact_tags WHERE contact_id = $1 ORDER BY name',
            [where.contact.id],
          );
          const list = tags.rows.map((t) => t.name);
          throw new CommandError(
            `This contact has no tag "${name.toLowerCase()}". Their tags: ${list.length ? list.join(', ') : '(none)'}.`,
          );
        }
      });
      return `Tag ${name.toLowerCase()} removed.`;
    },
  });

  const set = defineCommand({
    name: 'set',
    summary: 'set a contact attribute: set email=ana@example.com (set email= removes it)',
    details:
      'Values are checked where the type is known: email, phone (international, E.164), country (ISO 3166 two letters), dates (YYYY-MM-DD), numbers, and attributes a flow collected with a type.',
    args: [arg.rest('attribute=value', 'the attribute and its value')],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context) => {
      const { key, value } = assignment(context.rawArgs, context.prefix);
      const outcome = await change(deps, context, async (tx, where, c) =>
        applyAttribute(tx, where.contact, await checkAttribute(tx, where.contact, key, value), c),
      );
      if (!outcome.changed) {
        return outcome.value === null ? `${key} was not set.` : `${key} is already ${outcome.value}.`;
      }
      if (outcome.value === null) return `${key} removed (it was ${outcome.previous}).`;
      return `${key} = ${outcome.value}${outcome.previous !== null ? ` (was ${outcome.previous})` : ''}.`;
    },
  });

  const contact = defineCommand({
    name: 'contact',
    summary: "the customer's profile: address, attributes, tags, notes, last events",
    args: [],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context) => {
      const where = await here(db, context);
      const profile = (await contactProfile(db, where.contact.id, { journeyLimit: 5 }))!;
      const conversation = (await loadConversation(db, where.conversationId))!;
      const number = await db.query<{ number: number | null }>(
        'SELECT number FROM conversations WHERE id = $1',
        [conversation.id],
      );
      const c = profile.contact;
      const lines = [
        `${customerName(c)} — ${CHANNEL_NAMES[c.channel]} ${contactAddressLabel(c)}`,
        `Conversation #${number.rows[0]?.number ?? '?'}: ${describeState(conversation.state)}.`,
      ];
      const attributes = Object.entries(profile.attributes);
      lines.push(attributes.length ? 'Attributes:' : 'Attributes: none.');
      for (const [key, a] of attributes) {
        lines.push(`  ${key} = ${a.value} (set by ${describeActor(a.setBy)}, ${when(a.setAt)})`);
      }
      lines.push(`Tags: ${profile.tags.length ? profile.tags.map((t) => t.name).join(', ') : 'none'}.`);
      const latest = profile.notes[0];
      lines.push(
        latest
          ? `Notes: ${profile.notes.length} (latest by ${describeActor(latest.author)}, ${when(latest.createdAt)}: ${latest.text.length > 120 ? `${latest.text.slice(0, 119)}…` : latest.text})`
          : 'Notes: none.',
      );
      if (profile.journey.length) {
        lines.push('Last events:', ...profile.journey.map((e) => `  ${journeyLine(e)}`));
      }
      lines.push(`More: ${context.prefix}journey [n].`);
      return lines.join('\n');
    },
  });

  const journey = defineCommand({
    name: 'journey',
    summary: "the customer's last events (default 10): messages, handovers, assignments, tags, notes…",
    args: [arg.int('n', 'how many events (1–100)', { min: 1, max: 100 }).orOmitted()],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context, n) => {
      const where = await here(db, context);
      const entries = await listJourney(db, where.contact.id, { limit: n ?? 10 });
      if (entries.length === 0) return 'Nothing recorded yet.';
      return [
        `The last ${plural(entries.length, 'event')} of ${customerName(where.contact)}:`,
        ...entries.map(journeyLine),
      ].join('\n');
    },
  });

  return [note, tag, untag, set, contact, journey];
}
