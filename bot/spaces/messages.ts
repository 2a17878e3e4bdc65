/**
 * Live-assistant messages sent to the customer (takeover: a notice in the room for agents), per
 * space; a campaign may override them for its conversations. A space stores only the ones it
 * changed; every other key uses these. Placeholders: {{agent}} (the agent's name), {{position}}
 * (place in the queue), {{keywords}} (the sender's campaign keywords); {agent} also works.
 */
export const DEFAULT_MESSAGES = {
  welcome: 'Hello! How can we help you today?',
  queued: 'You are being transferred to an agent. You are number {{position}} in the queue.',
  position: 'You are now number {{position}} in the queue.',
  assigned: 'You are now chatting with {{agent}}.',
  takeover: '{{agent}} has taken over this conversation.',
  offline: 'All our agents are busy or offline right now. We will get back to you as soon as possible.',
  resolved: 'This conversation has been resolved. Write again any time if you need anything else.',
  noMatch: 'Sorry, I did not understand that. You can write {{keywords}}.',
} as const;

export type LivechatMessageKey = keyof typeof DEFAULT_MESSAGES;

export const MESSAGE_KEYS = Object.keys(DEFAULT_MESSAGES) as LivechatMessageKey[];

export type Messages = Record<LivechatMessageKey, string>;

export function effectiveMessages(...layers: Partial<Record<LivechatMessageKey, string>>[]): Messages {
  return Object.assign({}, DEFAULT_MESSAGES, ...layers) as Messages;
}

/** Fills {{name}} (or {name}) placeholders; unknown ones stay as written. */
export function renderMessage(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(
    /\{\{\s*([A-Za-z_]\w*)\s*\}\}|\{([A-Za-z_]\w*)\}/g,
    (whole, a?: string, b?: string) => {
      const key = (a ?? b)!;
      return Object.hasOwn(values, key) ? String(values[key]) : whole;
    },
  );
}

/** "Help Package", "Promo" or "Track" — keywords as a customer would type them. */
export function keywordList(keywords: readonly string[]): string {
  const quoted = keywords.map((k) => `"${k}"`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** The no-match reply; without any keyword to suggest, the default says only that it did not understand. */
export function noMatchReply(template: string, keywords: readonly string[]): string {
  if (keywords.length === 0 && template === DEFAULT_MESSAGES.noMatch)
    return 'Sorry, I did not understand that.';
  return renderMessage(template, { keywords: keywordList(keywords.slice(0, 10)) });
}
