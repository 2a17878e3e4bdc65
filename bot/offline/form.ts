import { contactDisplayName, roomLink, senderLabel, CHANNEL_NAMES } from '../../bridge/portal/names.ts';
import { getContact } from '../../bridge/store/contacts.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { getSender } from '../../bridge/store/senders.ts';
import { setAttribute } from '../contacts/attributes.ts';
import { insertRun, updateRun, type FlowRun } from '../campaigns/runs.ts';
import type { Effect } from '../effects/types.ts';
import { step, unwrapFlow, validateFlow, type FlowAction, type StepInput } from '../flows/index.ts';
import { recordJourney } from '../journey/store.ts';
import type { LiveConversation } from '../lifecycle/conversation.ts';

/*
 * The offline form: when nobody can answer (no agent online, or none took the conversation in
 * time) and the space has it on, the bot asks for a name, an email address and a message, and
 * emails them to the space's admins. It is a small flow run by the same engine as campaigns.
 */

export const OFFLINE_FORM_VERSION = 'offline-form:1';

const FORM = unwrapFlow(
  validateFlow({
    version: 1,
    start: 'ask_name',
    maxMisses: 10,
    nodes: {
      ask_name: {
        type: 'question',
        text: 'Please leave your name, email address and message, and we will get back to you by email. What is your name?',
        attribute: 'name',
        validate: 'text',
        next: 'ask_email',
      },
      ask_email: {
        type: 'question',
        text: 'Thank you, {{name}}. What is your email address?',
        attribute: 'email',
        validate: 'email',
        next: 'ask_message',
      },
      ask_message: {
        type: 'question',
        text: 'What would you like to tell us?',
        attribute: 'offline_message',
        validate: 'text',
        next: 'done',
      },
      done: {
        type: 'end',
        text: 'Thank you! Your message was passed on; we will get back to you by email.',
      },
    },
  }),
);

/** What the form keeps on the contact's profile; the message itself stays with the run. */
const PROFILE_KEYS: Record<string, 'text' | 'email'> = { name: 'text', email: 'email' };

interface FormContext {
  now: Date;
  /** Unique prefix of the message causes of this step. */
  cause: string;
}

function sends(actions: FlowAction[], cause: string): Effect[] {
  return actions.flatMap((a, i): Effect[] =>
    a.type === 'send' ? [{ type: 'customer', cause: `${cause}:${i}`, message: { text: a.text } }] : [],
  );
}

function context(now: Date, answers: Record<string, string>) {
  return {
    now,
    attributes: answers,
    capabilities: { interactive: false },
    globalHandoverKeywords: [],
    flowVersion: OFFLINE_FORM_VERSION,
  };
}

/** Starts the form in a conversation; returns the first question to send. */
export async function startOfflineForm(
  db: Queryable,
  conversation: LiveConversation,
  ctx: FormContext,
): Promise<Effect[]> {
  const result = step(FORM, undefined, { kind: 'start' }, context(ctx.now, {}));
  await insertRun(db, {
    conversationId: conversation.id,
    kind: 'offline-form',
    campaignId: null,
    revisionId: null,
    state: result.state,
    status: 'waiting',
    startedAt: ctx.now,
  });
  await recordJourney(db, {
    contactId: conversation.contactId,
    conversationId: conversation.id,
    type: 'offline-form',
    actor: 'bot',
    detail: { step: 'started' },
    at: ctx.now,
  });
  return sends(result.actions, ctx.cause);
}

/** Feeds the customer's message to a running form; at its end, the email to the admins. */
export async function answerOfflineForm(
  db: Queryable,
  conversation: LiveConversation,
  run: FlowRun,
  input: StepInput,
  ctx: FormContext,
): Promise<Effect[]> {
  const answers = { ...run.answers };
  const result = step(FORM, run.state, input, context(ctx.now, answers));
  const effects = sends(result.actions, ctx.cause);
  for (const action of result.actions) {
    if (action.type !== 'setAttribute') continue;
    answers[action.name] = action.value;
    const type = PROFILE_KEYS[action.name];
    if (type) {
      await setAttribute(db, conversation.contactId, action.name, {
        value: action.value,
        type,
        setBy: 'customer',
        setAt: ctx.now,
      });
    }
  }
  const finished = result.actions.some((a) => a.type === 'end' || a.type === 'handover');
  await updateRun(db, run.id, {
    state: result.state,
    status: finished ? 'ended' : 'waiting',
    answers,
    at: ctx.now,
  });
  if (finished) {
    await recordJourney(db, {
      contactId: conversation.contactId,
      conversationId: conversation.id,
      type: 'offline-form',
      actor: 'customer',
      detail: { step: 'completed', ...answers },
      at: ctx.now,
    });
    effects.push(...(await formDelivery(db, conversation, answers, ctx)));
  }
  return effects;
}

async function formDelivery(
  db: Queryable,
  conversation: LiveConversation,
  answers: Record<string, string>,
  ctx: FormContext,
): Promise<Effect[]> {
  // One after the other: db may be a transaction's client.
  const space = await db.query<{ name: string }>('SELECT name FROM spaces WHERE id = $1', [
    conversation.spaceId,
  ]);
  const contact = await getContact(db, conversation.contactId);
  const sender = await getSender(db, conversation.senderId);
  const admins = await db.query<{ email: string }>(
    `SELECT email FROM agents WHERE space_id = $1 AND role = 'admin' AND email IS NOT NULL ORDER BY created_at`,
    [conversation.spaceId],
  );
  const spaceName = space.rows[0]?.name ?? 'your space';
  const customer = contact ? contactDisplayName(contact) : 'a customer';
  const to = admins.rows.map((r) => r.email);
  const summary = [
    `Name: ${answers.name ?? '(not given)'}`,
    `Email: ${answers.email ?? '(not given)'}`,
    `Message: ${answers.offline_message ?? '(not given)'}`,
  ];
  if (to.length === 0) {
    return [
      {
        type: 'notice',
        cause: `${ctx.cause}:no-admin`,
        text: `The customer filled in the offline form, but no admin of ${spaceName} has an email address to send it to.\n${summary.join('\n')}`,
      },
    ];
  }
  const via = sender ? `${CHANNEL_NAMES[sender.channel]} on ${senderLabel(sender)}` : 'a business number';
  const text = [
    `${customer} wrote to ${spaceName} (${via}) while no agent could answer, and left this message:`,
    '',
    ...summary,
    '',
    conversation.roomId ? `The conversation: ${roomLink(conversation.roomId)}` : '',
    `Sent at ${ctx.now.toUTCString()}.`,
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
  return [
    {
      type: 'email',
      to,
      subject: `${spaceName}: message from ${answers.name ?? customer} (offline form)`,
      text,
      ...(answers.email ? { replyTo: answers.email } : {}),
    },
    {
      type: 'notice',
      cause: `${ctx.cause}:emailed`,
      text: `The customer's offline form was emailed to the admins of ${spaceName}.`,
    },
  ];
}
