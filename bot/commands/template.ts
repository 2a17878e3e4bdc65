import type { MessagingService } from '../../bridge/messaging/service.ts';
import type { ProviderRegistry } from '../../bridge/providers/index.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { getConversation } from '../../bridge/store/conversations.ts';
import { getSender } from '../../bridge/store/senders.ts';
import { arg, tokenize } from './args.ts';
import { CommandError, defineCommand } from './command.ts';

const DEFAULT_LANGUAGE = 'en';
const NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/;

/**
 * `template NAME[:language] [parameters…]`: sends an approved WhatsApp template, the only message
 * WhatsApp delivers once the customer-care window has closed. It goes through the outbox like any
 * message (shown in the room, delivery statuses, failures as notices).
 */
export function templateCommand(deps: {
  db: Queryable;
  messaging: MessagingService;
  providers: ProviderRegistry;
}) {
  return defineCommand({
    name: 'template',
    summary: 'send an approved WhatsApp template to the customer',
    details:
      `NAME is the template's name as approved by Meta, optionally with its language: order_update:en_US ` +
      `(default ${DEFAULT_LANGUAGE}). Parameters fill {{1}}, {{2}}… in order; quote one that has spaces: "Ada Lovelace".`,
    args: [
      arg.word('name', 'template name, optionally :language'),
      arg.rest('parameters', 'values for the template placeholders, in order').orOmitted(),
    ],
    role: 'agent',
    rooms: ['conversation'],
    run: async (context, spec) => {
      const conversation = context.room.conversationId
        ? await getConversation(deps.db, context.room.conversationId)
        : undefined;
      if (!conversation) throw new CommandError('This room is not a conversation any more.');
      const sender = await getSender(deps.db, conversation.senderId);
      if (!sender) throw new CommandError("This conversation's number no longer exists.");
      if (!deps.providers.get(sender.provider).capabilities(sender).templates) {
        throw new CommandError(
          `Templates exist only on WhatsApp; this conversation is ${sender.channel === 'sms' ? 'SMS' : sender.channel}: send a normal message instead.`,
        );
      }
      const [name = '', language = DEFAULT_LANGUAGE] = spec.split(':');
      if (!NAME.test(name))
        throw new CommandError(`"${name}" is not a template name (lowercase letters, digits and _).`);
      if (!LANGUAGE.test(language))
        throw new CommandError(`"${language}" is not a language code such as en or en_US.`);
      // The framework joins the remaining words; read them again from the body to keep quoted ones whole.
      const body = typeof context.event.content.body === 'string' ? context.event.content.body : '';
      const parameters = tokenize(body.trim().slice(context.prefix.length)).slice(2);
      await deps.messaging.sendToCustomer(
        conversation.id,
        { template: { name, language, parameters } },
        { cause: `template:${context.event.event_id}`, author: context.sender },
      );
      return `Template ${name} (${language}) queued for the customer.`;
    },
  });
}
