import type { Queryable } from '../../bridge/store/db.ts';
import { loadConversation, type LiveConversation } from '../lifecycle/conversation.ts';
import { LifecycleError } from '../lifecycle/machine.ts';
import { resolve, unassign, type TransitionContext } from '../lifecycle/transitions.ts';
import { agentByUser, hasCapacity } from '../routing/agents.ts';
import { TransferError, type Router } from '../routing/router.ts';
import { arg } from './args.ts';
import { CommandError, defineCommand, type CommandContext } from './command.ts';

/*
 * Conversation room commands: `resolve`, `unassign`, `transfer @agent`. While a conversation is
 * assigned, only its agent or an admin may run them.
 */

type Step = (tx: Queryable, conversation: LiveConversation, ctx: TransitionContext) => Promise<void>;

async function mayAct(tx: Queryable, conversation: LiveConversation, context: CommandContext): Promise<void> {
  if (conversation.state !== 'assigned' || context.role === 'admin') return;
  const agent = await agentByUser(tx, conversation.spaceId, context.sender);
  if (agent?.id !== conversation.assignedAgentId) {
    throw new CommandError('Only the agent this conversation is assigned to, or an admin, can do that.');
  }
}

async function onConversation(router: Router, context: CommandContext, fn: Step): Promise<void> {
  const id = context.room.conversationId;
  if (!id) throw new CommandError('This room is not a conversation.');
  try {
    await router.run(context.sender, async (tx, ctx) => {
      const conversation = await loadConversation(tx, id, { lock: true });
      if (!conversation) throw new CommandError('This room is not a conversation any more.');
      await mayAct(tx, conversation, context);
      await fn(tx, conversation, ctx);
    });
  } catch (err) {
    if (err instanceof LifecycleError || err instanceof TransferError) throw new CommandError(err.message);
    throw err;
  }
}

export function conversationCommands(deps: { db: Queryable; router: Router }) {
  const { router } = deps;
  const resolveCommand = defineCommand({
    name: 'resolve',
    summary: 'close the conversation: the customer is told, the room becomes readable by the space',
    details:
      'If the customer writes again, the conversation goes back to the bot in this room, and is offered to you first when it needs an agent.',
    args: [],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context) => {
      await onConversation(router, context, (tx, conversation, ctx) => resolve(tx, conversation, ctx));
      return "Resolved: the customer was told, and the space's members can read this room.";
    },
  });
  const unassignCommand = defineCommand({
    name: 'unassign',
    summary: 'give the conversation back: it goes to the front of the queue',
    args: [],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context) => {
      await onConversation(router, context, (tx, conversation, ctx) =>
        // The agent stays in the room until someone takes it (or writes again to take it back).
        unassign(tx, conversation, ctx, {
          reason: `Unassigned by ${context.sender}: the conversation is back in the queue`,
          removeAgent: false,
        }),
      );
      return 'Back in the queue, at the front: it will be offered to another agent. Write here to take it back.';
    },
  });
  const transferCommand = defineCommand({
    name: 'transfer',
    summary: 'offer the conversation to another agent of the space',
    details:
      'The agent is invited; the conversation stays with you until they join. If they do not within the offer timeout, it stays with you.',
    args: [arg.user('agent', 'the Matrix ID of the agent to transfer to')],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context, userId) => {
      const id = context.room.conversationId!;
      const spaceId = context.room.spaceId!;
      const target = await agentByUser(deps.db, spaceId, userId);
      if (!target) throw new CommandError(`${userId} is not an agent of this space.`);
      const conversation = await loadConversation(deps.db, id);
      if (!conversation || conversation.state !== 'assigned') {
        throw new CommandError('Only a conversation assigned to an agent can be transferred.');
      }
      if (conversation.assignedAgentId === target.id) throw new CommandError(`${userId} already has it.`);
      if (!target.online) throw new CommandError(`${userId} is offline: they take no conversations now.`);
      if (!hasCapacity(target)) {
        throw new CommandError(`${userId} already has ${target.open} conversations, their limit.`);
      }
      // Only its agent or an admin (checked under the lock), then the offer.
      await onConversation(router, context, async () => undefined);
      try {
        await router.offerTransfer(id, target, context.sender);
      } catch (err) {
        if (err instanceof TransferError) throw new CommandError(err.message);
        throw err;
      }
      return `Offered to ${userId}: the conversation stays with its agent until they join.`;
    },
  });
  return [resolveCommand, unassignCommand, transferCommand];
}
