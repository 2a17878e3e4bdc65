/*
 * The conversation lifecycle, for commands and other callers. A transition runs in a transaction
 * on a locked conversation, through the router, which commits, reports metrics and wakes the
 * effects worker:
 *
 *   await bot.router.run(actorUserId, async (tx, ctx) => {
 *     const conversation = await loadConversation(tx, id, { lock: true });
 *     if (conversation) await resolve(tx, conversation, ctx);
 *   });
 *
 * A LifecycleError says, in words for the agent, why a transition does not apply.
 */
export {
  CONVERSATION_STATES,
  LIFECYCLE_EVENTS,
  LifecycleError,
  canTransition,
  describeState,
  nextState,
  type ConversationState,
  type LifecycleEvent,
} from './machine.ts';
export { conversationByRoom, loadConversation, type LiveConversation } from './conversation.ts';
export {
  archive,
  assign,
  goOffline,
  handover,
  reopen,
  resolve,
  unassign,
  type AssignOptions,
  type HandoverOptions,
  type LifecycleObserver,
  type TransitionContext,
} from './transitions.ts';
export { conversationMessages } from './messages.ts';
export { agentsOnline, livechatSettings, type LivechatSettings } from './space.ts';
export { conversationRoomName } from './room-name.ts';
