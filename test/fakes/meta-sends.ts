import { wamid, type MetaSentMessage } from './meta-contract.ts';
import { validateSend, type Invalid } from './meta-validation.ts';

/*
 * What the Meta fake (meta.ts) decides about a send: refused when a field is missing or outside
 * WhatsApp's limits (meta-validation.ts); otherwise accepted, and a free-form message to a customer
 * who has not written in 24 hours then fails with 131047 in its statuses (unless enforceWindow is
 * false). Templates always pass.
 */

export interface SendRulesOptions {
  /** WhatsApp 24-hour customer-care window. */
  enforceWindow: boolean;
  /** Clock for the window. */
  now: () => number;
}

/** A send accepted (as recorded, with the 200 body to answer), or why it is refused. */
export type SendDecision = { accepted: MetaSentMessage; response: Record<string, unknown> } | Invalid;

const WINDOW_MS = 24 * 3600_000;

export class MetaSendRules {
  private readonly lastInbound = new Map<string, number>();
  private readonly options: SendRulesOptions;

  constructor(options: SendRulesOptions) {
    this.options = options;
  }

  /** A customer wrote (by wa_id or user id): their window opens. */
  received(customer: string): void {
    this.lastInbound.set(customer, this.options.now());
  }

  accept(json: Record<string, unknown>, knownMedia: (id: string) => boolean): SendDecision {
    const invalid = validateSend(json, knownMedia);
    if (invalid) return invalid;
    const to = String(json.to ?? json.recipient);
    const key = to.replace(/^\+/, '');
    const last = this.lastInbound.get(key);
    const windowOpen = last !== undefined && this.options.now() - last < WINDOW_MS;
    const accepted: MetaSentMessage = {
      id: wamid(),
      to,
      type: String(json.type),
      body: json,
      ...(this.options.enforceWindow && json.type !== 'template' && !windowOpen
        ? { failure: { code: 131047, title: 'Re-engagement message', message: 'Re-engagement message' } }
        : {}),
      at: new Date(),
    };
    const response = {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, ...(/^\+?\d+$/.test(to) ? { wa_id: key } : { user_id: to }) }],
      messages: [{ id: accepted.id, ...(json.type === 'template' ? { message_status: 'accepted' } : {}) }],
    };
    return { accepted, response };
  }

  /** Forgets the windows. */
  clear(): void {
    this.lastInbound.clear();
  }
}
