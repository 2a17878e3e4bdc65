/*
 * Campaign flows: definitions (schema, parsing, validation), the pure engine that runs them one
 * customer message at a time, and the keyword matching that starts them. No I/O in here: callers
 * store the state, perform the actions and pass the time in. See "Campaign flows" in the README.
 */
export {
  flowSchema,
  nodeSchema,
  validatorSchema,
  liveMessagesSchema,
  VALIDATOR_NAMES,
  NODE_TYPES,
  type Flow,
  type FlowDefinition,
  type FlowNode,
  type MenuOption,
  type Validator,
  type ValidatorName,
} from './schema.ts';
export { parseFlow, validateFlow, unwrapFlow, FlowError, type FlowCheck, type FlowFormat } from './parse.ts';
export { formatProblem, type FlowProblem } from './problems.ts';
export { type ValidationOptions } from './validate.ts';
export {
  step,
  DEFAULT_FALLBACK,
  type StepInput,
  type StepContext,
  type StepResult,
  type FlowAction,
  type HandoverTrigger,
  type JourneyEvent,
} from './engine.ts';
export { flowStateSchema, flowFingerprint, FlowRunError, type FlowState } from './state.ts';
export {
  matchCampaign,
  findKeywordConflicts,
  normalizeKeyword,
  campaignKeywordsSchema,
  DEFAULT_HANDOVER_KEYWORDS,
  type KeywordCampaign,
  type KeywordConflict,
} from './keywords.ts';
export {
  renderMenu,
  INTERACTIVE_LIMITS,
  DEFAULT_LIST_BUTTON,
  type MenuChoice,
  type MenuStyle,
  type InteractiveMenu,
  type RenderedMenu,
} from './render.ts';
export { checkAnswer, defaultRetry, type AnswerCheck } from './answers.ts';
export { fold, truncate } from './text.ts';
