import type { z } from 'zod';
import {
  createCampaign,
  deleteCampaign,
  getCampaign,
  listCampaigns,
  senderKeywords,
  setDefaultCampaign,
  updateCampaign,
  type Campaign,
} from '../../bot/campaigns/store.ts';
import {
  findKeywordConflicts,
  formatProblem,
  parseFlow,
  validateFlow,
  type Flow,
  type FlowCheck,
  type FlowProblem,
} from '../../bot/flows/index.ts';
import { logger } from '../../bridge/log.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { errors } from '../errors.ts';
import { getSender, type SenderRow } from '../store/senders.ts';
import {
  campaignListQuery,
  campaignListSchema,
  campaignParams,
  campaignSchema,
  createCampaignBody,
  updateCampaignBody,
} from './campaigns.schemas.ts';
import { BODY_ERRORS, COMMON_ERRORS, notFound, spaceParams } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, type AnyRoute } from './route.ts';
import { requireSpace } from './spaces.ts';

const log = logger('provisioning.campaigns');

/** A valid flow from the body, or a 400 naming every problem (path, and line when it was text). */
function checkFlow(deps: ApiDeps, input: unknown): { flow: Flow; warnings: FlowProblem[] } {
  const options = { handoverKeywords: deps.config.bot.handoverKeywords };
  let result: FlowCheck;
  if (typeof input === 'string') {
    result = parseFlow(input, input.trimStart().startsWith('{') ? 'json' : 'yaml', options);
  } else {
    result = validateFlow(input, options);
  }
  if (result.ok) return { flow: result.flow, warnings: result.warnings };
  const issues = result.errors.map((e) => ({
    field: e.path ? `flow.${e.path}` : 'flow',
    message: formatProblem({ ...e, path: '' }),
  }));
  throw errors.badRequest(`${issues[0]!.field}: ${issues[0]!.message}`, {
    field: issues[0]!.field,
    issues,
    problems: result.errors,
  });
}

/** 409 when a keyword is already another campaign's on the same sender (a message starts only one). */
async function checkKeywords(db: Queryable, senderId: string, id: string, keywords: string[]): Promise<void> {
  const others = (await senderKeywords(db, senderId)).filter((c) => c.id !== id);
  const conflicts = findKeywordConflicts([...others, { id, keywords }]).filter((c) =>
    c.campaignIds.includes(id),
  );
  if (conflicts.length === 0) return;
  const [first] = conflicts;
  const other = others.find((c) => first!.campaignIds.includes(c.id));
  throw errors.conflict(
    'LC_KEYWORD_TAKEN',
    `keywords: "${first!.written.at(-1)}" already starts the campaign "${other?.name}" on this sender`,
    {
      conflicts: conflicts.map((c) => ({
        keyword: c.keyword,
        campaignIds: c.campaignIds.filter((x) => x !== id),
      })),
    },
  );
}

function senderWarnings(sender: SenderRow): FlowProblem[] {
  return sender.mode === 'livechat'
    ? [
        {
          path: '',
          message: `the sender ${sender.address} is in livechat mode: its messages go straight to agents, so this campaign runs only once its mode is chatbot`,
        },
      ]
    : [];
}

function campaignView(campaign: Campaign, warnings: FlowProblem[] = []): z.input<typeof campaignSchema> {
  return {
    id: campaign.id,
    spaceId: campaign.spaceId,
    senderId: campaign.senderId,
    name: campaign.name,
    keywords: campaign.keywords,
    default: campaign.isDefault,
    revision: campaign.revision,
    flow: campaign.flow as unknown as Record<string, unknown>,
    messages: campaign.messages as Record<string, string>,
    warnings,
    createdAt: campaign.createdAt.toISOString(),
    updatedAt: campaign.updatedAt.toISOString(),
  };
}

const KEYWORD_TAKEN = {
  status: 409,
  errcode: 'LC_KEYWORD_TAKEN',
  description: 'A keyword already starts another campaign of the same sender; gives {conflicts}.',
};

export function campaignRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps;
  const requireCampaign = async (tx: Queryable, spaceId: string, id: string, lock = false) => {
    const campaign = await getCampaign(tx, spaceId, id, { lock });
    if (!campaign) throw errors.notFound(`Campaign ${id}`);
    return campaign;
  };
  const requireSender = async (tx: Queryable, spaceId: string, id: string) => {
    // Locked: two campaigns of one sender are checked for keyword conflicts one after the other.
    const sender = await getSender(tx, spaceId, id, { lock: true });
    if (!sender) throw errors.notFound(`Sender ${id}`);
    return sender;
  };
  return [
    defineRoute({
      method: 'post',
      path: '/spaces/{id}/campaigns',
      operationId: 'createCampaign',
      tag: 'campaigns',
      summary: 'Add a campaign (a chatbot flow started by keywords) to a sender',
      description:
        'Keywords are whole messages, compared ignoring case, accents, repeated spaces and final punctuation; within one sender each starts one campaign. The flow is validated as a whole: every problem is reported with its path (and line and column for YAML/JSON text).',
      params: spaceParams,
      body: createCampaignBody,
      status: 201,
      response: campaignSchema,
      responseDescription: 'The new campaign, with warnings about its flow if any.',
      errors: [...COMMON_ERRORS, ...BODY_ERRORS, notFound('The space or the sender'), KEYWORD_TAKEN],
      async handler({ params, body }) {
        const { flow, warnings } = checkFlow(deps, body.flow);
        const { id, sender } = await db.tx(async (tx) => {
          await requireSpace(deps, tx, params.id);
          const sender = await requireSender(tx, params.id, body.senderId);
          await checkKeywords(tx, sender.id, 'new', body.keywords);
          const id = await createCampaign(tx, {
            spaceId: params.id,
            senderId: sender.id,
            name: body.name,
            keywords: body.keywords,
            flow,
            messages: body.messages ?? {},
          });
          if (body.default) await setDefaultCampaign(tx, params.id, id);
          return { id, sender };
        });
        log.info({ campaignId: id, senderId: sender.id }, 'campaign created');
        return campaignView(await requireCampaign(db, params.id, id), [
          ...warnings,
          ...senderWarnings(sender),
        ]);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/campaigns',
      operationId: 'listCampaigns',
      tag: 'campaigns',
      summary: "List a space's campaigns",
      params: spaceParams,
      query: campaignListQuery,
      status: 200,
      response: campaignListSchema,
      responseDescription: 'The campaigns, oldest first.',
      errors: [...COMMON_ERRORS, notFound('The space')],
      async handler({ params, query }) {
        await requireSpace(deps, db, params.id);
        const campaigns = await listCampaigns(
          db,
          params.id,
          query.senderId ? { senderId: query.senderId } : {},
        );
        return { campaigns: campaigns.map((c) => campaignView(c)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/campaigns/{campaignId}',
      operationId: 'getCampaign',
      tag: 'campaigns',
      summary: 'Get a campaign',
      params: campaignParams,
      status: 200,
      response: campaignSchema,
      responseDescription: 'The campaign and its current flow.',
      errors: [...COMMON_ERRORS, notFound('The space or the campaign')],
      async handler({ params }) {
        return campaignView(await requireCampaign(db, params.id, params.campaignId));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/spaces/{id}/campaigns/{campaignId}',
      operationId: 'updateCampaign',
      tag: 'campaigns',
      summary: 'Change a campaign',
      description:
        'A new flow or new messages make a new revision: conversations already running the campaign finish on the revision they started with.',
      params: campaignParams,
      body: updateCampaignBody,
      status: 200,
      response: campaignSchema,
      responseDescription: 'The campaign after the change.',
      errors: [...COMMON_ERRORS, ...BODY_ERRORS, notFound('The space or the campaign'), KEYWORD_TAKEN],
      async handler({ params, body }) {
        const checked = body.flow !== undefined ? checkFlow(deps, body.flow) : undefined;
        const sender = await db.tx(async (tx) => {
          const campaign = await requireCampaign(tx, params.id, params.campaignId, true);
          const sender = await requireSender(tx, params.id, campaign.senderId);
          if (body.keywords) await checkKeywords(tx, sender.id, campaign.id, body.keywords);
          await updateCampaign(tx, campaign, {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.keywords !== undefined ? { keywords: body.keywords } : {}),
            ...(checked ? { flow: checked.flow } : {}),
            ...(body.messages !== undefined ? { messages: body.messages } : {}),
          });
          if (body.default === true) await setDefaultCampaign(tx, params.id, campaign.id);
          if (body.default === false && campaign.isDefault) await setDefaultCampaign(tx, params.id, null);
          return sender;
        });
        return campaignView(await requireCampaign(db, params.id, params.campaignId), [
          ...(checked?.warnings ?? []),
          ...senderWarnings(sender),
        ]);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/spaces/{id}/campaigns/{campaignId}',
      operationId: 'deleteCampaign',
      tag: 'campaigns',
      summary: 'Remove a campaign',
      description:
        'Its keywords stop starting it at once; conversations in the middle of it finish on their revision.',
      params: campaignParams,
      status: 204,
      responseDescription: 'Removed.',
      errors: [...COMMON_ERRORS, notFound('The space or the campaign')],
      async handler({ params }) {
        await db.tx(async (tx) => {
          const campaign = await requireCampaign(tx, params.id, params.campaignId, true);
          await deleteCampaign(tx, campaign.id);
        });
        log.info({ campaignId: params.campaignId }, 'campaign deleted');
        return undefined;
      },
    }),
  ];
}
