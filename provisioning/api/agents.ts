import { z } from 'zod';
import { requeueAgentConversations } from '../../bot/spaces/conversations.ts';
import { changeRole, removeMember } from '../../bot/spaces/members.ts';
import { logger } from '../../bridge/log.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { errors, onHomeserver } from '../errors.ts';
import { deleteAgent, getAgent, listAgents, updateAgent, type AgentRow } from '../store/agents.ts';
import {
  BODY_ERRORS,
  COMMON_ERRORS,
  MATRIX_ERROR,
  notFound,
  spaceParams,
  timestamp,
  uuid,
  wholeNumber,
} from './common.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, type AnyRoute } from './route.ts';
import { requireSpace } from './spaces.ts';

const log = logger('provisioning.agents');

const role = z.enum(['agent', 'admin'], { error: 'must be agent or admin' }).meta({
  description: 'admin: power level 50 in the space and member of its control room; agent: 0, space only.',
});

export const agentSchema = z.strictObject({
  id: uuid,
  spaceId: uuid,
  userId: z.string().meta({ description: 'Matrix ID.' }),
  name: z.string().nullable(),
  email: z.string().nullable(),
  role,
  maxChats: z
    .number()
    .int()
    .meta({ description: "Most conversations assigned at once (the space's default unless set)." }),
  online: z.boolean().meta({ description: 'Set by the agent with !online / !offline.' }),
  openChats: z.number().int().meta({ description: 'Conversations assigned to them and not archived.' }),
  createdAt: timestamp,
});

const agentParams = z.strictObject({
  id: uuid.meta({ description: 'The space.' }),
  agentId: uuid.meta({ description: 'The agent.' }),
});

const updateAgentBody = z.strictObject({
  role: role.optional(),
  maxChats: wholeNumber(1, 1000)
    .nullable()
    .optional()
    .meta({ description: "Most conversations at once; null goes back to the space's default." }),
});

export function agentView(row: AgentRow): z.input<typeof agentSchema> {
  return {
    id: row.id,
    spaceId: row.spaceId,
    userId: row.userId,
    name: row.name,
    email: row.email,
    role: row.role,
    maxChats: row.maxChats,
    online: row.online,
    openChats: row.openChats,
    createdAt: row.createdAt.toISOString(),
  };
}

const AGENT_NOT_FOUND = notFound('The space or the agent');

export function agentRoutes(deps: ApiDeps): AnyRoute[] {
  const { db, matrix } = deps;
  const requireAgent = async (tx: Queryable, spaceId: string, id: string, lock = false) => {
    const agent = await getAgent(tx, spaceId, id, { lock });
    if (!agent) throw errors.notFound(`Agent ${id}`);
    return agent;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/agents',
      operationId: 'listAgents',
      tag: 'agents',
      summary: "List a space's agents and admins",
      params: spaceParams,
      status: 200,
      response: z.strictObject({ agents: z.array(agentSchema) }),
      responseDescription: 'Everyone with a seat, oldest first.',
      errors: [...COMMON_ERRORS, notFound('The space')],
      async handler({ params }) {
        await requireSpace(deps, db, params.id);
        return { agents: (await listAgents(db, params.id)).map(agentView) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/agents/{agentId}',
      operationId: 'getAgent',
      tag: 'agents',
      summary: 'Get an agent',
      params: agentParams,
      status: 200,
      response: agentSchema,
      responseDescription: 'The agent.',
      errors: [...COMMON_ERRORS, AGENT_NOT_FOUND],
      async handler({ params }) {
        return agentView(await requireAgent(db, params.id, params.agentId));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/spaces/{id}/agents/{agentId}',
      operationId: 'updateAgent',
      tag: 'agents',
      summary: "Change an agent's role or capacity",
      description:
        'A new role changes their power levels and brings them into (admin) or out of (agent) the control room.',
      params: agentParams,
      body: updateAgentBody,
      status: 200,
      response: agentSchema,
      responseDescription: 'The agent after the change.',
      errors: [...COMMON_ERRORS, ...BODY_ERRORS, AGENT_NOT_FOUND, MATRIX_ERROR],
      async handler({ params, body }) {
        await db.tx(async (tx) => {
          const space = await requireSpace(deps, tx, params.id, true);
          const agent = await requireAgent(tx, params.id, params.agentId, true);
          await updateAgent(tx, agent.id, { role: body.role, maxChats: body.maxChats });
          if (body.role && body.role !== agent.role) {
            await onHomeserver('Changing power levels', () =>
              changeRole(matrix, space, agent.userId, body.role!),
            );
          }
        });
        return agentView(await requireAgent(db, params.id, params.agentId));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/spaces/{id}/agents/{agentId}',
      operationId: 'deleteAgent',
      tag: 'agents',
      summary: 'Remove an agent from a space',
      description:
        "Frees the seat and removes them from the space's rooms (kicked with a reason). Conversations assigned to them go back to the queue.",
      params: agentParams,
      status: 204,
      responseDescription: 'Removed.',
      errors: [...COMMON_ERRORS, AGENT_NOT_FOUND, MATRIX_ERROR],
      async handler({ params }) {
        await db.tx(async (tx) => {
          const space = await requireSpace(deps, tx, params.id, true);
          const agent = await requireAgent(tx, params.id, params.agentId, true);
          const requeued = await requeueAgentConversations(tx, agent.id, deps.clock.now());
          await deleteAgent(tx, agent.id);
          await onHomeserver('Removing them from the rooms', () =>
            removeMember(matrix, space, agent.userId, `Removed from ${space.name}`),
          );
          log.info({ agentId: agent.id, requeued: requeued.length }, 'agent removed');
        });
        return undefined;
      },
    }),
  ];
}
