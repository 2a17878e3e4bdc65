import type { SmsReplies } from '../store/spaces.ts';

/*
 * SMS keywords carriers and regulators expect every sender to honour (CTIA): a message that is
 * only one of these words changes the contact's opt-out state for this sender, or asks for help.
 */

export type SmsKeyword = 'stop' | 'start' | 'help';

const WORDS: Record<string, SmsKeyword> = {
  STOP: 'stop',
  STOPALL: 'stop',
  UNSUBSCRIBE: 'stop',
  CANCEL: 'stop',
  END: 'stop',
  QUIT: 'stop',
  REVOKE: 'stop',
  OPTOUT: 'stop',
  START: 'start',
  YES: 'start',
  UNSTOP: 'start',
  HELP: 'help',
  INFO: 'help',
};

/** The keyword a message is, if it is one word of the list (case and trailing punctuation ignored). */
export function smsKeyword(text: string | undefined): SmsKeyword | undefined {
  if (!text) return undefined;
  const word = text
    .trim()
    .replace(/[.!?]+$/, '')
    .toUpperCase();
  return WORDS[word];
}

/** What the customer is told; a space can replace each text (spaces.sms_replies). */
export function keywordReply(keyword: SmsKeyword, spaceName: string, replies: SmsReplies): string {
  switch (keyword) {
    case 'stop':
      return (
        replies.stop ??
        `${spaceName}: you are unsubscribed and will receive no more messages from this number. Reply START to subscribe again.`
      );
    case 'start':
      return (
        replies.start ?? `${spaceName}: you are subscribed again. Reply HELP for help, STOP to unsubscribe.`
      );
    case 'help':
      return (
        replies.help ??
        `${spaceName}: reply to this message to reach us. Reply STOP to unsubscribe, START to subscribe again. Message and data rates may apply.`
      );
  }
}
