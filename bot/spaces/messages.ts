/**
 * Live-assistant messages sent to the customer, per space. A space stores only the ones it
 * changed; every other key uses these.
 */
export const DEFAULT_MESSAGES = {
  welcome: 'Hello! How can we help you today?',
  queued: 'You are being transferred to an agent. Please wait a moment.',
  assigned: 'You are now chatting with {agent}.',
  takeover: '{agent} has taken over this conversation.',
  offline: 'All our agents are busy or offline right now. We will get back to you as soon as possible.',
  resolved: 'This conversation has been resolved. Write again any time if you need anything else.',
} as const;

export type LivechatMessageKey = keyof typeof DEFAULT_MESSAGES;

export function effectiveMessages(
  stored: Partial<Record<LivechatMessageKey, string>>,
): Record<LivechatMessageKey, string> {
  return { ...DEFAULT_MESSAGES, ...stored };
}
