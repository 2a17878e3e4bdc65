import type { Database } from '../../bridge/store/db.ts';
import { recordJourney } from '../journey/store.ts';
import { refreshContactCards } from '../contacts/profile.ts';
import {
  createSpaceTag,
  deleteSpaceTag,
  newTagName,
  spaceTags,
  tagName,
  TagError,
} from '../contacts/tags.ts';
import { arg } from './args.ts';
import { CommandError, defineCommand } from './command.ts';
import { plural } from './format.ts';

/**
 * `tags`: the space's tag vocabulary, kept by admins in the control room (agents use the tags with
 * `tag`/`untag` in conversation rooms). Deleting a tag takes it off every contact, in their journeys.
 */
export function tagsCommand(deps: { db: Database; now(): Date; wake(): void }) {
  return defineCommand({
    name: 'tags',
    summary: "list the space's tags, or create / delete one",
    details:
      'tags — the list, with how many contacts have each. tags create <name> [description] — a new tag agents can use. tags delete <name> — removes it, from every contact too.',
    args: [
      arg
        .choice('action', 'list, create or delete (default list)', ['list', 'create', 'delete'] as const)
        .orOmitted(),
      arg.word('name', 'the tag (create, delete)').orOmitted(),
      arg.rest('description', 'what it is for (create)').orOmitted(),
    ],
    role: 'admin',
    rooms: ['control'],
    run: async (context, action, name, description) => {
      const spaceId = context.room.spaceId!;
      if (!action || action === 'list') {
        if (name !== undefined) throw new CommandError(`Usage: ${context.prefix}tags [create|delete <name>]`);
        const tags = await spaceTags(deps.db, spaceId);
        if (tags.length === 0) {
          return `No tags yet. Create one with ${context.prefix}tags create <name> [description].`;
        }
        return [
          `${plural(tags.length, 'tag')}:`,
          ...tags.map(
            (t) =>
              `· ${t.name}${t.description ? ` — ${t.description}` : ''} (${plural(t.contacts, 'contact')})`,
          ),
        ].join('\n');
      }
      if (!name) throw new CommandError(`Usage: ${context.prefix}tags ${action} <name>`);
      try {
        if (action === 'create') {
          const tag = newTagName(name);
          const created = await createSpaceTag(deps.db, {
            spaceId,
            name: tag,
            description: description?.trim() || null,
            by: context.sender,
            at: deps.now(),
          });
          if (!created) throw new CommandError(`The tag ${tag} exists already.`);
          return `Tag ${tag} created: agents can now use ${context.prefix}tag ${tag} in conversation rooms.`;
        }
        if (description !== undefined) throw new CommandError(`Usage: ${context.prefix}tags delete <name>`);
        const tag = tagName(name);
        const removed = await deps.db.tx(async (tx) => {
          const contacts = await deleteSpaceTag(tx, spaceId, tag);
          if (!contacts) return undefined;
          const at = deps.now();
          for (const contactId of contacts) {
            await recordJourney(tx, {
              contactId,
              conversationId: null,
              type: 'untag',
              actor: context.sender,
              detail: { tag, reason: 'tag deleted' },
              at,
            });
            await refreshContactCards(tx, contactId);
          }
          return contacts.length;
        });
        if (removed === undefined) throw new CommandError(`There is no tag ${tag} in this space.`);
        deps.wake();
        return `Tag ${tag} deleted${removed ? `; it was taken off ${plural(removed, 'contact')}` : ''}.`;
      } catch (err) {
        if (err instanceof TagError) throw new CommandError(err.message);
        throw err;
      }
    },
  });
}
