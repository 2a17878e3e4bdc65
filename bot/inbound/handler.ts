import type { Clock } from '../../bridge/context.ts';
import type { InboundEvent, InboundHandler } from '../../bridge/messaging/types.ts';
import type { ProviderRegistry } from '../../bridge/providers/index.ts';
import type { Database, Queryable } from '../../bridge/store/db.ts';
import { getRun, waitingRun } from '../campaigns/runs.ts';
import { getCampaign, senderKeywords } from '../campaigns/store.ts';
import { enqueueEffects } from '../effects/types.ts';
import { matchCampaign, type StepInput } from '../flows/index.ts';
import { loadConversation, type LiveConversation } from '../lifecycle/conversation.ts';
import { conversationMessages } from '../lifecycle/messages.ts';
import { livechatSettings } from '../lifecycle/space.ts';
import { handover, reopen, type LifecycleObserver } from '../lifecycle/transitions.ts';
import { answerOfflineForm } from '../offline/form.ts';
import { noMatchReply } from '../spaces/messages.ts';
import { continueCampaign, startCampaign, type RunContext } from './campaign-run.ts';

export interface InboundDeps {
  db: Database;
  clock: Clock;
  providers: ProviderRegistry;
  observer: LifecycleObserver;
  handoverKeywords: readonly string[];
  /** Effects were queued. */
  wake(): void;
}

/** What the bot did with a customer's message (stored, and shown in logs and tests). */
export type InboundDecision =
  | 'sms-keyword'
  | 'archived'
  | 'agent'
  | 'waiting'
  | 'offline-form'
  | 'livechat'
  | 'flow'
  | 'campaign'
  | 'default-campaign'
  | 'no-match';

/*
 * The bot's answer to each customer message, in the conversation's order:
 * - assigned to an agent: the bot keeps quiet (the agent is talking);
 * - queued: quiet too, unless the offline form is asking its questions;
 * - resolved: the conversation goes back to the bot (same room, a new flow run), then as below;
 * - a livechat-mode sender: straight to the queue, with the welcome message;
 * - a chatbot sender: the running flow takes it; else a campaign keyword starts that campaign;
 *   else the space's default campaign; else the no-match reply. Nothing is dropped silently.
 * SMS keywords (STOP, START, HELP) were answered by the bridge already.
 *
 * The decision and its consequences commit in one transaction with a row keyed by the inbox row,
 * so a retried message decides nothing twice; what leaves Postgres follows through effects.
 */
export function createInboundHandler(deps: InboundDeps): InboundHandler {
  const { db } = deps;

  async function decide(tx: Queryable, conversation: LiveConversation, event: InboundEvent, ctx: RunContext) {
    const input: StepInput = {
      kind: 'message',
      ...(event.message.reply
        ? { text: event.message.reply.title, replyId: event.message.reply.id }
        : event.message.text !== undefined
          ? { text: event.message.text }
          : {}),
      hasMedia: (event.message.media?.length ?? 0) > 0,
    };
    if (conversation.state === 'assigned') return 'agent';
    if (conversation.state === 'queued') {
      const run = await waitingRun(tx, conversation.id);
      if (run?.kind !== 'offline-form') return 'waiting';
      const effects = await answerOfflineForm(tx, conversation, run, input, {
        now: ctx.now,
        cause: ctx.cause,
      });
      await enqueueEffects(tx, conversation.id, effects);
      return 'offline-form';
    }
    if (conversation.state === 'resolved')
      await reopen(tx, { ...conversation }, { ...ctx, actor: 'customer' });
    const current = (await loadConversation(tx, conversation.id))!;

    const mode = await tx.query<{ mode: string }>('SELECT mode FROM senders WHERE id = $1', [
      current.senderId,
    ]);
    if (mode.rows[0]?.mode === 'livechat') {
      await handover(tx, current, ctx, { trigger: 'livechat-sender', welcome: true });
      return 'livechat';
    }
    const run = current.flowRunId ? await getRun(tx, current.flowRunId) : undefined;
    if (run && (run.status === 'waiting' || run.status === 'ended')) {
      if (await continueCampaign(tx, current, run, input, ctx)) return 'flow';
    }
    const campaigns = await senderKeywords(tx, current.senderId);
    const text = input.kind === 'message' ? input.text : undefined;
    const matched = text !== undefined ? matchCampaign(campaigns, text) : undefined;
    const settings = await livechatSettings(tx, current.spaceId);
    const campaignId = matched?.id ?? settings.defaultCampaignId;
    const campaign = campaignId ? await getCampaign(tx, current.spaceId, campaignId) : undefined;
    if (campaign) {
      await startCampaign(tx, current, campaign.revisionId, ctx);
      return matched ? 'campaign' : 'default-campaign';
    }
    const messages = await conversationMessages(tx, current.id);
    await enqueueEffects(tx, current.id, [
      {
        type: 'customer',
        cause: `${ctx.cause}:no-match`,
        message: {
          text: noMatchReply(
            messages.noMatch,
            campaigns.flatMap((c) => c.keywords.slice(0, 1)),
          ),
        },
      },
    ]);
    return 'no-match';
  }

  return async (event) => {
    if (event.smsKeyword) return;
    const provider = deps.providers.has(event.sender.provider)
      ? deps.providers.get(event.sender.provider)
      : undefined;
    const ctx: RunContext = {
      now: deps.clock.now(),
      actor: 'customer',
      observer: deps.observer,
      after: [],
      sender: event.sender,
      interactive: provider?.capabilities(event.sender).interactive ?? false,
      handoverKeywords: deps.handoverKeywords,
      cause: `in:${event.inboxId}`,
    };
    const decided = await db.tx(async (tx) => {
      const seen = await tx.query('SELECT 1 FROM bot_inbound WHERE inbox_id = $1', [event.inboxId]);
      if (seen.rowCount) return false;
      const conversation = await loadConversation(tx, event.conversation.id, { lock: true });
      const decision: InboundDecision =
        !conversation || conversation.state === 'archived'
          ? 'archived'
          : await decide(tx, conversation, event, ctx);
      await tx.query('INSERT INTO bot_inbound (inbox_id, conversation_id, decision) VALUES ($1, $2, $3)', [
        event.inboxId,
        event.conversation.id,
        decision,
      ]);
      return true;
    });
    if (!decided) return;
    for (const step of ctx.after) step();
    deps.wake();
  };
}
