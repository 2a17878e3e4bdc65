/*
 * The lifecycle of a conversation, as a table: which event moves it from which state to which.
 *
 *   inbound ─▶ bot ──handover──▶ queued ──assign──▶ assigned ──resolve──▶ resolved ──archive──▶ archived
 *                                  ▲                  │  ▲  │
 *                                  └────unassign──────┘  └──┘ transfer
 *   resolved ──reopen (the customer writes)──▶ bot        bot / queued ──assign (an agent takes over)──▶ assigned
 *
 * Pure: transitions.ts applies it to the store (a conditional update on the current state, so two
 * processes or two agents racing make exactly one transition), with a journey entry each time.
 */

export const CONVERSATION_STATES = ['bot', 'queued', 'assigned', 'resolved', 'archived'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

export const LIFECYCLE_EVENTS = [
  'handover',
  'assign',
  'unassign',
  'transfer',
  'resolve',
  'reopen',
  'archive',
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

interface Rule {
  from: readonly ConversationState[];
  to: ConversationState;
}

export const RULES: Readonly<Record<LifecycleEvent, Rule>> = {
  handover: { from: ['bot'], to: 'queued' },
  // From bot: an agent still in the room (a reopened conversation) writes to the customer.
  assign: { from: ['queued', 'bot'], to: 'assigned' },
  unassign: { from: ['assigned'], to: 'queued' },
  transfer: { from: ['assigned'], to: 'assigned' },
  // Anything open can be closed by an agent, even before someone took it (spam, a duplicate).
  resolve: { from: ['bot', 'queued', 'assigned'], to: 'resolved' },
  reopen: { from: ['resolved'], to: 'bot' },
  // Only where nobody is waiting: a queued or assigned conversation is someone's work.
  archive: { from: ['bot', 'resolved'], to: 'archived' },
};

const PHRASE: Record<ConversationState, string> = {
  bot: 'with the bot',
  queued: 'waiting in the queue',
  assigned: 'assigned to an agent',
  resolved: 'resolved',
  archived: 'archived',
};

export class LifecycleError extends Error {
  readonly from: ConversationState;
  readonly event: LifecycleEvent;

  constructor(from: ConversationState, event: LifecycleEvent) {
    super(`This conversation is ${PHRASE[from]}: it cannot be ${pastTense(event)} now.`);
    this.name = 'LifecycleError';
    this.from = from;
    this.event = event;
  }
}

function pastTense(event: LifecycleEvent): string {
  const words: Record<LifecycleEvent, string> = {
    handover: 'handed over',
    assign: 'assigned',
    unassign: 'unassigned',
    transfer: 'transferred',
    resolve: 'resolved',
    reopen: 'reopened',
    archive: 'archived',
  };
  return words[event];
}

export function canTransition(from: ConversationState, event: LifecycleEvent): boolean {
  return RULES[event].from.includes(from);
}

/** The state after `event`; throws LifecycleError when the event does not apply in `from`. */
export function nextState(from: ConversationState, event: LifecycleEvent): ConversationState {
  if (!canTransition(from, event)) throw new LifecycleError(from, event);
  return RULES[event].to;
}

export function describeState(state: ConversationState): string {
  return PHRASE[state];
}
