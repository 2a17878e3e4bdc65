import { roomLink } from '../../bridge/portal/names.ts';
import type { AddressKind } from '../../bridge/addresses.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { loadConversation } from '../lifecycle/conversation.ts';
import { describeState, LifecycleError } from '../lifecycle/machine.ts';
import { assign } from '../lifecycle/transitions.ts';
import { agentByUser, agentName, hasCapacity, spaceAgents } from '../routing/agents.ts';
import type { Router } from '../routing/router.ts';
import { arg } from './args.ts';
import { CommandError, defineCommand } from './command.ts';
import { customerName, duration, plural } from './format.ts';
import { describeRef, parseConversationRef, resolveConversationRef } from './refs.ts';

/*
 * The work of a space at a glance, for the control room: `queue` (who waits, how long, why),
 * `agents` (who is online, with how much on their plate), `assign` (give a conversation to
 * someone); and `mine` for every agent (what is theirs, wherever they ask).
 */

interface Customer {
  address: string;
  address_kind: AddressKind;
  profile_name: string | null;
}

const customer = (r: Customer) =>
  customerName({ address: r.address, addressKind: r.address_kind, profileName: r.profile_name });

const MAX_LISTED = 30;

export function queueCommands(deps: { db: Queryable; router: Router; now(): Date }) {
  const { db, router } = deps;

  const queue = defineCommand({
    name: 'queue',
    summary: 'the conversations waiting for an agent, oldest first',
    details:
      'Each line: the place in the queue, the conversation number (use it with assign), the customer, how long they have waited, why they asked for an agent, to whom it is offered, and a link to the room.',
    args: [],
    role: 'admin',
    rooms: ['control'],
    run: async (context) => {
      const spaceId = context.room.spaceId!;
      const result = await db.query<
        Customer & {
          number: number | null;
          room_id: string | null;
          queued_at: Date;
          handover_reason: string | null;
          handover_skill: string | null;
          offline_notified: boolean;
          requeued: boolean;
          offered_to: string | null;
        }
      >(
        `SELECT c.number, c.room_id, c.queued_at, c.handover_reason, c.handover_skill,
           c.offline_notified_at IS NOT NULL AS offline_notified, c.queue_priority > 0 AS requeued,
           ct.address, ct.address_kind, ct.profile_name,
           (SELECT string_agg(a.user_id, ', ' ORDER BY o.offered_at) FROM offers o JOIN agents a ON a.id = o.agent_id
             WHERE o.conversation_id = c.id AND o.state = 'pending') AS offered_to
         FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
         WHERE c.space_id = $1 AND c.state = 'queued' AND c.archived_at IS NULL
         ORDER BY c.queue_priority DESC, c.queued_at, c.id`,
        [spaceId],
      );
      if (result.rows.length === 0) return 'Nobody is waiting.';
      const now = deps.now().getTime();
      const lines = result.rows.slice(0, MAX_LISTED).map((r, i) => {
        const parts = [
          `${i + 1}. #${r.number ?? '?'} ${customer(r)} — waiting ${duration((now - r.queued_at.getTime()) / 1000)}`,
        ];
        if (r.requeued) parts.push('given back');
        if (r.handover_reason) parts.push(`reason: ${r.handover_reason}`);
        if (r.handover_skill) parts.push(`skill: ${r.handover_skill}`);
        parts.push(r.offered_to ? `offered to ${r.offered_to}` : 'not offered to anyone');
        if (r.offline_notified) parts.push('told nobody is available');
        if (r.room_id) parts.push(roomLink(r.room_id));
        return parts.join(' · ');
      });
      const more = result.rows.length > MAX_LISTED ? [`…and ${result.rows.length - MAX_LISTED} more.`] : [];
      return [
        `${plural(result.rows.length, 'conversation')} waiting:`,
        ...lines,
        ...more,
        `Give one to someone with ${context.prefix}assign #number @agent.`,
      ].join('\n');
    },
  });

  const agents = defineCommand({
    name: 'agents',
    summary: "the space's agents: online or not, open conversations and capacity",
    args: [],
    role: 'admin',
    rooms: ['control'],
    run: async (context) => {
      const list = await spaceAgents(db, context.room.spaceId!);
      if (list.length === 0) return 'Nobody has a seat in this space yet. Invite people with invite <email>.';
      const online = list.filter((a) => a.online).length;
      const lines = list.map((a) => {
        const parts = [
          `${a.online ? '🟢' : '⚪'} ${agentName(a)} (${a.userId}) — ${a.role}`,
          a.online ? 'online' : 'offline',
          `${a.open}/${a.maxChats} open${hasCapacity(a) ? '' : ' (full)'}`,
        ];
        if (a.pending) parts.push(`${plural(a.pending, 'offer')} waiting for them`);
        return parts.join(' · ');
      });
      return [`${plural(list.length, 'seat holder')}, ${online} online:`, ...lines].join('\n');
    },
  });

  const assignCommand = defineCommand({
    name: 'assign',
    summary: 'give a conversation to an agent of the space: they are invited and it is theirs',
    details:
      'The conversation is given by its number (#12, see queue), its room ID or a matrix.to link. It may be waiting, with the bot, or already assigned (then it moves to the new agent). The agent is invited into the room; they must have room for one more conversation.',
    args: [
      arg.parsed('conversation', 'the conversation: #12, a room ID or a matrix.to link', (raw) =>
        parseConversationRef(raw),
      ),
      arg.user('agent', 'the Matrix ID of the agent who takes it'),
    ],
    role: 'admin',
    rooms: ['control'],
    run: async (context, ref, userId) => {
      const spaceId = context.room.spaceId!;
      const id = await resolveConversationRef(db, spaceId, ref);
      const target = await agentByUser(db, spaceId, userId);
      if (!target) throw new CommandError(`${userId} has no seat in this space.`);
      let customerLabel = describeRef(ref);
      let roomId: string | null = null;
      try {
        await router.run(context.sender, async (tx, ctx) => {
          const conversation = await loadConversation(tx, id, { lock: true });
          if (!conversation)
            throw new CommandError(`There is no conversation ${describeRef(ref)} in this space.`);
          roomId = conversation.roomId;
          const contact = await tx.query<Customer>('SELECT * FROM contacts WHERE id = $1', [
            conversation.contactId,
          ]);
          if (contact.rows[0]) customerLabel = `${describeRef(ref)} (${customer(contact.rows[0])})`;
          if (conversation.state === 'assigned' && conversation.assignedAgentId === target.id) {
            throw new CommandError(`${customerLabel} is already assigned to ${userId}.`);
          }
          if (!['bot', 'queued', 'assigned'].includes(conversation.state)) {
            throw new CommandError(
              `${customerLabel} is ${describeState(conversation.state)}: only an open conversation can be assigned.`,
            );
          }
          // Read under the conversation's lock: their count is what routing sees too.
          const fresh = (await agentByUser(tx, spaceId, userId))!;
          if (!hasCapacity(fresh)) {
            throw new CommandError(`${userId} already has ${fresh.open} conversations, their limit.`);
          }
          await assign(tx, conversation, fresh, ctx, { via: 'manual', policy: 'manual' });
        });
      } catch (err) {
        if (err instanceof LifecycleError) throw new CommandError(err.message);
        throw err;
      }
      const away = target.online ? '' : ` ${userId} is offline: they will find it when they come back.`;
      const link = roomId ? ` ${roomLink(roomId)}` : '';
      return `${customerLabel} is assigned to ${userId}; they are invited into the room.${away}${link}`;
    },
  });

  const mine = defineCommand({
    name: 'mine',
    summary: 'your open conversations (and those offered to you), with links',
    details: 'In a room of a space: that space. In a DM with me: every space you have a seat in.',
    args: [],
    role: 'agent',
    rooms: ['dm', 'control', 'conversation'],
    run: async (context) => {
      const values: unknown[] = [context.sender];
      let where = 'a.user_id = $1';
      if (context.room.spaceId) {
        values.push(context.room.spaceId);
        where += ' AND a.space_id = $2';
      }
      const rows = await db.query<
        Customer & {
          kind: 'assigned' | 'offered';
          number: number | null;
          room_id: string | null;
          since: Date | null;
          space: string;
        }
      >(
        `SELECT 'assigned' AS kind, c.number, c.room_id, c.assigned_at AS since, s.name AS space,
           ct.address, ct.address_kind, ct.profile_name
         FROM agents a JOIN conversations c ON c.assigned_agent_id = a.id
           JOIN spaces s ON s.id = a.space_id JOIN contacts ct ON ct.id = c.contact_id
         WHERE ${where} AND c.state = 'assigned' AND c.archived_at IS NULL
         UNION ALL
         SELECT 'offered', c.number, c.room_id, o.offered_at, s.name, ct.address, ct.address_kind, ct.profile_name
         FROM agents a JOIN offers o ON o.agent_id = a.id AND o.state = 'pending'
           JOIN conversations c ON c.id = o.conversation_id
           JOIN spaces s ON s.id = a.space_id JOIN contacts ct ON ct.id = c.contact_id
         WHERE ${where}
         ORDER BY kind, since`,
        values,
      );
      const now = deps.now().getTime();
      const several = new Set(rows.rows.map((r) => r.space)).size > 1;
      const line = (r: (typeof rows.rows)[number]) =>
        [
          `#${r.number ?? '?'} ${customer(r)}${several ? ` (${r.space})` : ''}`,
          r.since ? `since ${duration((now - r.since.getTime()) / 1000)}` : '',
          r.room_id ? roomLink(r.room_id) : '',
        ]
          .filter(Boolean)
          .join(' · ');
      const assigned = rows.rows.filter((r) => r.kind === 'assigned');
      const offered = rows.rows.filter((r) => r.kind === 'offered');
      if (assigned.length === 0 && offered.length === 0) return 'You have no open conversations.';
      const out = [
        assigned.length ? `Your open conversations (${assigned.length}):` : 'You have no open conversations.',
        ...assigned.map(line),
      ];
      if (offered.length) out.push(`Offered to you (${offered.length}):`, ...offered.map(line));
      return out.join('\n');
    },
  });

  return [queue, agents, assignCommand, mine];
}
