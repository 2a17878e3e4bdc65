import {
  DEFAULT_HANDOVER_KEYWORDS,
  step,
  unwrapFlow,
  validateFlow,
  type Flow,
  type FlowAction,
  type FlowDefinition,
  type FlowState,
  type StepContext,
  type StepResult,
} from '../../../bot/flows/index.ts';

export const NOW = new Date('2026-03-14T09:30:00.000Z');

/** A validated flow; fails the test with every problem when the definition is not valid. */
export function flowOf(definition: FlowDefinition): Flow {
  return unwrapFlow(validateFlow(definition));
}

export function context(overrides: Partial<StepContext> = {}): StepContext {
  return {
    now: NOW,
    attributes: {},
    capabilities: { interactive: false },
    globalHandoverKeywords: DEFAULT_HANDOVER_KEYWORDS,
    ...overrides,
  };
}

/** Drives one conversation: starts the flow, then feeds it messages, keeping state and attributes as a caller would. */
export class Conversation {
  state: FlowState | undefined;
  attributes: Record<string, string>;
  readonly flow: Flow;
  readonly ctx: Partial<StepContext>;

  constructor(flow: Flow, ctx: Partial<StepContext> = {}) {
    this.flow = flow;
    this.ctx = ctx;
    this.attributes = { ...(ctx.attributes ?? {}) };
  }

  start(): FlowAction[] {
    return this.apply(step(this.flow, this.state, { kind: 'start' }, this.context()));
  }

  say(text: string, extra: { replyId?: string; hasMedia?: boolean } = {}): FlowAction[] {
    return this.apply(step(this.flow, this.state, { kind: 'message', text, ...extra }, this.context()));
  }

  tap(replyId: string, title?: string): FlowAction[] {
    const input =
      title === undefined
        ? { kind: 'message' as const, replyId }
        : { kind: 'message' as const, replyId, text: title };
    return this.apply(step(this.flow, this.state, input, this.context()));
  }

  private context(): StepContext {
    return context({ ...this.ctx, attributes: { ...this.attributes } });
  }

  private apply(result: StepResult): FlowAction[] {
    // The state must survive a round trip through the caller's JSON column.
    this.state = JSON.parse(JSON.stringify(result.state)) as FlowState;
    for (const action of result.actions) {
      if (action.type === 'setAttribute') this.attributes[action.name] = action.value;
    }
    return result.actions;
  }
}

/** What the customer would read, in order. */
export function texts(actions: FlowAction[]): string[] {
  return actions.flatMap((a) => (a.type === 'send' ? [a.text] : []));
}

/** The actions that are not journey entries (what the caller acts on). */
export function effects(actions: FlowAction[]): FlowAction[] {
  return actions.filter((a) => a.type !== 'journey');
}

export function journeyEvents(actions: FlowAction[]): string[] {
  return actions.flatMap((a) => (a.type === 'journey' ? [a.event] : []));
}
