import type { ConversationState } from './machine.ts';

/*
 * A conversation room's name shows its state at a glance in an agent's room list:
 * "🟡 Ana (+1 415 555 0100) — queued". The customer part is the name the bridge gave the room.
 */

const MARK: Record<ConversationState, string> = {
  bot: '🤖',
  queued: '🟡',
  assigned: '🟢',
  resolved: '✅',
  archived: '⚪',
};

export function conversationRoomName(
  customer: string,
  state: ConversationState,
  agentName?: string | null,
): string {
  const label =
    state === 'assigned'
      ? agentName
        ? `with ${agentName}`
        : 'assigned'
      : state === 'bot'
        ? 'with the bot'
        : state;
  return `${MARK[state]} ${customer} — ${label}`;
}
