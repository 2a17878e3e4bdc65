import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Queryable } from '../../bridge/store/db.ts';
import type { Sender } from '../../bridge/store/senders.ts';
import { logger } from '../../bridge/log.ts';
import { attributeValues, setAttribute, type AttributeType } from '../contacts/attributes.ts';
import { insertRun, updateRun, type FlowRun } from '../campaigns/runs.ts';
import { loadRevision, type Revision } from '../campaigns/store.ts';
import { enqueueEffects, type Effect } from '../effects/types.ts';
import {
  FlowRunError,
  step,
  type Flow,
  type FlowAction,
  type StepInput,
  type StepResult,
} from '../flows/index.ts';
import { recordJourney } from '../journey/store.ts';
import type { LiveConversation } from '../lifecycle/conversation.ts';
import { handover, type TransitionContext } from '../lifecycle/transitions.ts';

const log = logger('bot.campaigns');

/*
 * Runs campaigns in conversations: starts one, feeds it the customer's messages, and carries out
 * what the engine decided (messages, attributes, journey, handover). Everything happens in the
 * caller's transaction; messages leave through the effects queue once it commits.
 */

export interface RunContext extends TransitionContext {
  sender: Sender;
  interactive: boolean;
  handoverKeywords: readonly string[];
  /** Unique per customer message: the causes of what this step sends. */
  cause: string;
}

const JOURNEY_TYPES: Partial<Record<string, string>> = {
  'flow-started': 'campaign-start',
  'flow-ended': 'campaign-end',
  'option-chosen': 'option-chosen',
  'attribute-set': 'attribute-set',
};

const TYPED = new Set<AttributeType>(['email', 'number', 'phone', 'date']);

/** The type of an attribute, from the validator of the question that collects it. */
function attributeType(flow: Flow, name: string): AttributeType {
  for (const node of Object.values(flow.nodes)) {
    if ((node.type === 'question' || node.type === 'ask') && node.attribute === name) {
      const v = node.validate;
      return typeof v === 'string' && TYPED.has(v as AttributeType) ? (v as AttributeType) : 'text';
    }
  }
  return 'text';
}

function defaultCountry(sender: Sender): string | undefined {
  return parsePhoneNumberFromString(`+${sender.address.replace(/^\+/, '')}`)?.country;
}

async function engineContext(
  tx: Queryable,
  conversation: LiveConversation,
  revision: Revision,
  ctx: RunContext,
) {
  const country = defaultCountry(ctx.sender);
  return {
    now: ctx.now,
    attributes: await attributeValues(tx, conversation.contactId),
    capabilities: { interactive: ctx.interactive },
    globalHandoverKeywords: ctx.handoverKeywords,
    flowVersion: revision.id,
    ...(country ? { defaultCountry: country } : {}),
  };
}

async function apply(
  tx: Queryable,
  conversation: LiveConversation,
  runId: string,
  revision: Revision,
  result: StepResult,
  ctx: RunContext,
): Promise<void> {
  const effects: Effect[] = [];
  let asked: Extract<FlowAction, { type: 'handover' }> | undefined;
  for (const [i, action] of result.actions.entries()) {
    switch (action.type) {
      case 'send':
        effects.push({
          type: 'customer',
          cause: `${ctx.cause}:${i}`,
          message: action.interactive ? { interactive: action.interactive } : { text: action.text },
        });
        break;
      case 'setAttribute':
        await setAttribute(tx, conversation.contactId, action.name, {
          value: action.value,
          type: attributeType(revision.flow, action.name),
          setBy: 'customer',
          setAt: ctx.now,
        });
        break;
      case 'handover':
        asked = action;
        break;
      case 'journey': {
        const type = JOURNEY_TYPES[action.event];
        if (type) {
          await recordJourney(tx, {
            contactId: conversation.contactId,
            conversationId: conversation.id,
            type,
            actor: action.event === 'flow-started' || action.event === 'flow-ended' ? 'bot' : 'customer',
            detail: { campaign: revision.campaignId, revision: revision.revision, ...action.detail },
            at: ctx.now,
            cause: `${ctx.cause}:j${i}`,
          });
        }
        break;
      }
      case 'end':
        break;
    }
  }
  await updateRun(tx, runId, { state: result.state, status: result.state.status, at: ctx.now });
  // The flow's own words go first; the handover's messages (queued, offline) follow them.
  await enqueueEffects(tx, conversation.id, effects);
  if (asked) {
    await handover(tx, conversation, ctx, {
      trigger: asked.trigger,
      ...(asked.reason ? { reason: asked.reason } : {}),
      ...(asked.skill ? { skill: asked.skill } : {}),
    });
  }
}

/** Starts a campaign's current revision in the conversation (a new run of its bot episode). */
export async function startCampaign(
  tx: Queryable,
  conversation: LiveConversation,
  revisionId: string,
  ctx: RunContext,
): Promise<void> {
  const revision = await loadRevision(tx, revisionId);
  if (!revision) throw new Error(`campaign revision ${revisionId} does not exist`);
  const result = step(
    revision.flow,
    undefined,
    { kind: 'start' },
    await engineContext(tx, conversation, revision, ctx),
  );
  const runId = await insertRun(tx, {
    conversationId: conversation.id,
    kind: 'campaign',
    campaignId: revision.campaignId,
    revisionId: revision.id,
    state: result.state,
    status: result.state.status,
    startedAt: ctx.now,
  });
  await tx.query('UPDATE conversations SET flow_run_id = $2 WHERE id = $1', [conversation.id, runId]);
  conversation.flowRunId = runId;
  await apply(tx, conversation, runId, revision, result, ctx);
}

/**
 * Feeds a message to the conversation's campaign run. Returns false when the run does not take it
 * (it is over and the message is not a handover keyword, or its revision is gone): the caller
 * then looks for a campaign to start.
 */
export async function continueCampaign(
  tx: Queryable,
  conversation: LiveConversation,
  run: FlowRun,
  input: StepInput,
  ctx: RunContext,
): Promise<boolean> {
  const revision = run.revisionId ? await loadRevision(tx, run.revisionId) : undefined;
  if (!revision) return false;
  let result: StepResult;
  try {
    result = step(revision.flow, run.state, input, await engineContext(tx, conversation, revision, ctx));
  } catch (err) {
    if (!(err instanceof FlowRunError)) throw err;
    // A stored state that no longer fits: end that run and treat the message afresh.
    log.warn({ conversationId: conversation.id, runId: run.id, code: err.code }, 'flow run cannot go on');
    await updateRun(tx, run.id, { state: run.state, status: 'cancelled', at: ctx.now });
    return false;
  }
  const [only] = result.actions;
  if (result.actions.length === 1 && only?.type === 'end' && only.reason === 'already-over') return false;
  await apply(tx, conversation, run.id, revision, result, ctx);
  return true;
}
