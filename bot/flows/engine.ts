import { checkAnswer, defaultRetry } from './answers.ts';
import { chooseOption } from './choose.ts';
import { isKeyword } from './keywords.ts';
import { renderMenu, type InteractiveMenu, type MenuChoice, type MenuStyle } from './render.ts';
import type { Condition, Flow, FlowNode, MenuNode, QuestionNode } from './schema.ts';
import { checkState, flowFingerprint, FlowRunError, PATH_LIMIT, type FlowState } from './state.ts';
import { fold, interpolate } from './text.ts';

/*
 * The flow engine: one pure function from (definition, state, the customer's input, context) to the
 * new state and what to do, in order. No I/O and no clock: the caller stores the state, performs the
 * actions and passes the time in. Every input yields at least one action.
 */

export type StepInput =
  | { kind: 'message'; text?: string; replyId?: string; hasMedia?: boolean }
  /** Starts a new run from the flow's start node, whatever the state was. */
  | { kind: 'start' };

export interface StepContext {
  now: Date;
  /** The contact's attributes as stored now (what branches and {{placeholders}} read). */
  attributes: Readonly<Record<string, string>>;
  capabilities: { interactive: boolean };
  /** The configured global handover keywords (DEFAULT_HANDOVER_KEYWORDS unless changed). */
  globalHandoverKeywords: readonly string[];
  /** The caller's id for this definition (e.g. a campaign revision); defaults to its fingerprint. */
  flowVersion?: string;
  /** ISO country for phone answers written without a country code. */
  defaultCountry?: string;
}

export type HandoverTrigger = 'node' | 'keyword' | 'misses';

export type JourneyEvent =
  | 'flow-started'
  | 'node-entered'
  | 'option-chosen'
  | 'attribute-set'
  | 'not-understood'
  | 'branch-taken'
  | 'handover-requested'
  | 'flow-ended';

export type FlowAction =
  | {
      type: 'send';
      /** Always sendable as is; for menus, the body and the numbered options. */
      text: string;
      options?: MenuChoice[];
      style?: MenuStyle;
      /** For menus on interactive channels: send this instead of text. */
      interactive?: InteractiveMenu;
    }
  | { type: 'setAttribute'; name: string; value: string }
  | { type: 'handover'; trigger: HandoverTrigger; node: string; reason?: string; skill?: string }
  /** The flow is over: at an end node, after a message with no next, or it already was. */
  | { type: 'end'; reason: 'end-node' | 'no-next' | 'already-over' }
  | { type: 'journey'; event: JourneyEvent; detail: Record<string, string | number | boolean> };

export interface StepResult {
  state: FlowState;
  actions: FlowAction[];
}

/** A step in progress: the actions so far and the attributes as they will be after it. */
interface Run {
  flow: Flow;
  context: StepContext;
  state: FlowState;
  actions: FlowAction[];
  attributes: Record<string, string>;
}

export const DEFAULT_FALLBACK = 'Sorry, I did not understand. Please choose one of these options:';

/**
 * Advances one conversation's flow by one input. Without a state, or on a start input, a new run
 * begins at the start node (the message that matched the campaign keyword is not taken as an answer).
 * Throws FlowRunError when the state does not belong to this definition.
 */
export function step(
  flow: Flow,
  state: FlowState | undefined,
  input: StepInput,
  context: StepContext,
): StepResult {
  const now = context.now.toISOString();
  if (state === undefined || input.kind === 'start') {
    const run = newRun(flow, context, {
      format: 1,
      flowVersion: context.flowVersion ?? flowFingerprint(flow),
      status: 'waiting',
      node: flow.start,
      misses: 0,
      path: [],
      startedAt: now,
      updatedAt: now,
    });
    journey(run, 'flow-started', {
      node: flow.start,
      flowVersion: run.state.flowVersion,
      restarted: state !== undefined,
    });
    enter(run, flow.start);
    return { state: run.state, actions: run.actions };
  }

  const run = newRun(flow, context, { ...checkState(flow, state, context.flowVersion), updatedAt: now });
  const text = input.text;
  const handoverWords = [...context.globalHandoverKeywords, ...(flow.handoverKeywords ?? [])];

  const asksForAgent = text !== undefined && isKeyword(text, handoverWords);
  // After the flow ended, the handover keywords still work; anything else is the caller's to route.
  if (run.state.status === 'handover' || (run.state.status === 'ended' && !asksForAgent)) {
    return { state, actions: [{ type: 'end', reason: 'already-over' }] };
  }
  if (asksForAgent) {
    handover(run, 'keyword', `asked for an agent ("${text.trim()}")`);
    return { state: run.state, actions: run.actions };
  }

  const node = flow.nodes[run.state.node]!;
  if (node.type === 'menu') answerMenu(run, node, input);
  else if (node.type === 'question' || node.type === 'ask') answerQuestion(run, node, input);
  else
    throw new FlowRunError('bad-state', `node "${run.state.node}" (${node.type}) does not wait for answers`);
  return { state: run.state, actions: run.actions };
}

function newRun(flow: Flow, context: StepContext, state: FlowState): Run {
  return { flow, context, state, actions: [], attributes: { ...context.attributes } };
}

function journey(
  run: Run,
  event: JourneyEvent,
  detail: Record<string, string | number | boolean | undefined>,
) {
  const clean: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(detail)) if (value !== undefined) clean[key] = value;
  run.actions.push({ type: 'journey', event, detail: clean });
}

function say(run: Run, text: string): void {
  run.actions.push({ type: 'send', text: interpolate(text, run.attributes) });
}

function answerMenu(run: Run, node: MenuNode, input: Extract<StepInput, { kind: 'message' }>): void {
  const nodeId = run.state.node;
  const choice = chooseOption(nodeId, node, input);
  if (!choice) {
    miss(run, () => node.fallback ?? run.flow.fallback?.text ?? DEFAULT_FALLBACK, node);
    return;
  }
  journey(run, 'option-chosen', {
    node: nodeId,
    option: choice.option.id ?? String(choice.index + 1),
    number: choice.index + 1,
    label: choice.option.label,
    by: choice.by,
  });
  enter(run, choice.option.next);
}

function answerQuestion(run: Run, node: QuestionNode, input: Extract<StepInput, { kind: 'message' }>): void {
  const answer =
    input.text === undefined
      ? { ok: false as const }
      : checkAnswer(node.validate, input.text, { defaultCountry: run.context.defaultCountry });
  if (!answer.ok) {
    miss(run, () => node.retry ?? defaultRetry(node.validate));
    return;
  }
  run.attributes[node.attribute] = answer.value;
  run.actions.push({ type: 'setAttribute', name: node.attribute, value: answer.value });
  journey(run, 'attribute-set', { node: run.state.node, name: node.attribute, value: answer.value });
  enter(run, node.next);
}

/** An answer not understood: say so and ask again, or hand over once it happened maxMisses times. */
function miss(run: Run, prompt: () => string, menu?: MenuNode): void {
  const misses = run.state.misses + 1;
  run.state.misses = misses;
  journey(run, 'not-understood', { node: run.state.node, misses });
  if (misses >= run.flow.maxMisses) {
    handover(run, 'misses', `not understood ${misses} times in a row at "${run.state.node}"`);
    return;
  }
  if (menu) sendMenu(run, menu, prompt());
  else say(run, prompt());
}

function sendMenu(run: Run, node: MenuNode, body: string): void {
  const menu = renderMenu(run.state.node, node, interpolate(body, run.attributes), run.context.capabilities);
  const action: FlowAction = { type: 'send', text: menu.text, options: menu.options, style: menu.style };
  if (menu.interactive) action.interactive = menu.interactive;
  run.actions.push(action);
}

function handover(run: Run, trigger: HandoverTrigger, reason?: string, skill?: string): void {
  const node = run.state.node;
  journey(run, 'handover-requested', { node, trigger, reason, skill });
  const action: FlowAction = { type: 'handover', trigger, node };
  if (reason !== undefined) action.reason = reason;
  if (skill !== undefined) action.skill = skill;
  run.actions.push(action);
  run.state.status = 'handover';
  run.state.misses = 0;
}

function finish(run: Run, reason: 'end-node' | 'no-next'): void {
  journey(run, 'flow-ended', { node: run.state.node, reason });
  run.actions.push({ type: 'end', reason });
  run.state.status = 'ended';
  run.state.misses = 0;
}

/** Enters a node and goes on through nodes that do not wait, until one waits or the flow is over. */
function enter(run: Run, first: string): void {
  const passed = new Set<string>();
  let id: string | undefined = first;
  while (id !== undefined) {
    if (passed.has(id)) {
      throw new FlowRunError('loop', `the flow loops through "${id}" without waiting for the customer`);
    }
    passed.add(id);
    const node: FlowNode | undefined = run.flow.nodes[id];
    if (!node) throw new FlowRunError('bad-state', `the flow has no node "${id}"`);
    run.state.node = id;
    run.state.misses = 0;
    run.state.path = [...run.state.path, id].slice(-PATH_LIMIT);
    journey(run, 'node-entered', { node: id, type: node.type });
    id = visit(run, id, node);
  }
}

/** Does what a node does on entry; returns the node to go on to, if the flow does not stop here. */
function visit(run: Run, id: string, node: FlowNode): string | undefined {
  switch (node.type) {
    case 'message':
      say(run, node.text);
      if (node.next === undefined) finish(run, 'no-next');
      return node.next;
    case 'menu':
      sendMenu(run, node, node.text);
      run.state.status = 'waiting';
      return undefined;
    case 'question':
    case 'ask':
      say(run, node.text);
      run.state.status = 'waiting';
      return undefined;
    case 'branch': {
      const index = node.rules.findIndex((rule) => holds(rule.when, run.attributes));
      const next = index >= 0 ? node.rules[index]!.next : node.else;
      journey(run, 'branch-taken', { node: id, rule: index >= 0 ? `rules[${index}]` : 'else', next });
      return next;
    }
    case 'handover':
      if (node.text !== undefined) say(run, node.text);
      handover(run, 'node', node.reason, node.skill);
      return undefined;
    case 'end':
      if (node.text !== undefined) say(run, node.text);
      finish(run, 'end-node');
      return undefined;
  }
}

/** equals and in compare like menu answers (case, accents, spacing, final punctuation aside). */
function holds(condition: Condition, attributes: Readonly<Record<string, string>>): boolean {
  const value = Object.hasOwn(attributes, condition.attribute) ? attributes[condition.attribute] : undefined;
  if (condition.exists !== undefined)
    return condition.exists === (value !== undefined && value.trim() !== '');
  if (value === undefined) return false;
  if (condition.equals !== undefined) return fold(value) === fold(condition.equals);
  if (condition.in !== undefined) return condition.in.some((v) => fold(v) === fold(value));
  if (condition.matches !== undefined) return new RegExp(condition.matches, 'u').test(value);
  return false;
}
