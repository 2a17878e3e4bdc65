import type { ProviderFailure } from '../providers/types.ts';

/** Why a message did not reach the customer, in words an agent understands. */

export interface NoticeContext {
  /** The customer as shown to agents ("+1 415 555 0100"). */
  who: string;
  channel: string;
  commandPrefix: string;
  windowHours?: number;
  attempts?: number;
}

export type Refusal = 'opted-out' | 'window-closed' | 'no-media' | 'no-templates' | 'empty';

export function refusalText(refusal: Refusal, c: NoticeContext): string {
  switch (refusal) {
    case 'opted-out':
      return `Not sent: ${c.who} replied STOP and opted out of messages from this number. They can reply START to receive messages again.`;
    case 'window-closed':
      return (
        `Not sent: ${c.who} last wrote more than ${c.windowHours ?? 24} hours ago, and ${c.channel} then allows only approved templates. ` +
        `Send one with: ${c.commandPrefix}template NAME [parameters…]`
      );
    case 'no-media':
      return `Not sent: ${c.channel} through this number cannot carry files or images. Send the text alone.`;
    case 'no-templates':
      return `Not sent: templates exist only on WhatsApp; on ${c.channel}, send a normal message.`;
    case 'empty':
      return 'Not sent: the message has no text the customer could read.';
  }
}

export function failureText(
  failure: Pick<ProviderFailure, 'kind' | 'code' | 'message'>,
  c: NoticeContext,
): string {
  const detail = `${failure.message} (${failure.code})`;
  switch (failure.kind) {
    case 'opted-out':
      return refusalText('opted-out', c).replace('Not sent', 'Not delivered');
    case 'window-closed':
      return refusalText('window-closed', c).replace('Not sent', 'Not delivered');
    case 'invalid-recipient':
      return `Not delivered: ${c.who} is not a number ${c.channel} can deliver to: ${detail}.`;
    case 'unreachable':
      return `Not delivered: ${c.who} could not be reached: ${detail}.`;
    case 'auth':
      return `Not delivered: the provider refused this number's credentials (${failure.code}). An admin must update the sender.`;
    case 'throttled':
    case 'unavailable':
      return `Not delivered${c.attempts ? ` after ${c.attempts} attempts` : ''}: the provider is not accepting messages: ${detail}.`;
    case 'rejected':
      return `Not delivered: the provider refused the message: ${detail}.`;
  }
}
