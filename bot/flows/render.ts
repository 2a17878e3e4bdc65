import type { OutboundMessage } from '../../bridge/providers/types.ts';
import type { MenuNode, MenuOption } from './schema.ts';
import { truncate } from './text.ts';

/** A menu as a provider sends it interactively (the `interactive` of an outbound message). */
export type InteractiveMenu = NonNullable<OutboundMessage['interactive']>;

export type MenuStyle = 'buttons' | 'list' | 'text';

/** What WhatsApp accepts in reply buttons and list messages. */
export const INTERACTIVE_LIMITS = {
  buttons: 3,
  buttonTitle: 20,
  listRows: 10,
  rowTitle: 24,
  rowDescription: 72,
  listButton: 20,
  body: 1024,
} as const;

export const DEFAULT_LIST_BUTTON = 'Options';

/** One option of a menu as shown to the customer, independent of the channel. */
export interface MenuChoice {
  /** The reply id of its button or list row: `<node>:<option id or number>`. */
  id: string;
  /** 1-based, as in the numbered text. */
  number: number;
  label: string;
}

export interface RenderedMenu {
  /** Works on every channel: the body, then one "N. label" line per option. */
  text: string;
  options: MenuChoice[];
  style: MenuStyle;
  /** Present when style is buttons or list: send this instead of text. */
  interactive?: InteractiveMenu;
}

/**
 * The reply id of an option carries its node, so a tap on a button of an earlier menu is never taken
 * for a choice in the current one.
 */
export function optionReplyId(nodeId: string, option: MenuOption, index: number): string {
  return `${nodeId}:${option.id ?? String(index + 1)}`;
}

/**
 * Buttons for up to 3 options, a list for up to 10, numbered text beyond that, on channels without
 * interactive messages, or when the body is too long for an interactive message.
 */
export function menuStyle(optionCount: number, bodyLength: number, interactive: boolean): MenuStyle {
  if (!interactive || bodyLength > INTERACTIVE_LIMITS.body) return 'text';
  if (optionCount <= INTERACTIVE_LIMITS.buttons) return 'buttons';
  if (optionCount <= INTERACTIVE_LIMITS.listRows) return 'list';
  return 'text';
}

/** The title an option gets on a button or list row (full labels stay in the text and descriptions). */
export function optionTitle(label: string, style: 'buttons' | 'list'): string {
  return truncate(label, style === 'buttons' ? INTERACTIVE_LIMITS.buttonTitle : INTERACTIVE_LIMITS.rowTitle);
}

export function renderMenu(
  nodeId: string,
  node: MenuNode,
  body: string,
  capabilities: { interactive: boolean },
): RenderedMenu {
  const options = node.options.map((option, i) => ({
    id: optionReplyId(nodeId, option, i),
    number: i + 1,
    label: option.label,
  }));
  const text = [body, ...options.map((o) => `${o.number}. ${o.label}`)].join('\n');
  const style = menuStyle(options.length, body.length, capabilities.interactive);
  if (style === 'text') return { text, options, style };
  const interactive: InteractiveMenu = {
    body,
    style,
    options: options.map((o) => {
      const title = optionTitle(o.label, style);
      // A cut row title keeps the whole label readable in the row's description.
      return style === 'list' && title !== o.label
        ? { id: o.id, title, description: truncate(o.label, INTERACTIVE_LIMITS.rowDescription) }
        : { id: o.id, title };
    }),
  };
  if (style === 'list') interactive.listButton = node.listButton ?? DEFAULT_LIST_BUTTON;
  return { text, options, style, interactive };
}
