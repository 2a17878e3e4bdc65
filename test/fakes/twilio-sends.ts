import { SegmentedMessage } from 'sms-segments-calculator';
import { randomHex } from './http.ts';
import {
  bare,
  OPT_IN,
  OPT_OUT,
  readSendForm,
  type TwilioParams,
  type TwilioSentMessage,
} from './twilio-contract.ts';

/*
 * What the Twilio fake (twilio.ts) decides about a send once its form is valid, from what it knows
 * of each customer:
 *   - an SMS customer who texted STOP is refused with 21610 (Advanced Opt-Out) until START;
 *   - a WhatsApp free-form message to a customer who has not written in 24 hours is accepted and
 *     fails later with 63016 (or is refused at once with windowClosedAs: 'request'); ContentSid
 *     templates always pass.
 */

export interface SendRulesOptions {
  /** WhatsApp 24-hour customer-care window. */
  enforceWindow: boolean;
  /** How a send outside the window fails: a `failed` status callback or a 400 on the request. */
  windowClosedAs: 'status' | 'request';
  /** Clock for the window. */
  now: () => number;
}

/** A send accepted (and recorded as such), or the error code Twilio answers it with. */
export type SendDecision = { accepted: TwilioSentMessage } | { error: number; message?: string };

const WINDOW_MS = 24 * 3600_000;

export class TwilioSendRules {
  private readonly optedOut = new Set<string>();
  private readonly lastInbound = new Map<string, number>();
  private readonly options: SendRulesOptions;

  constructor(options: SendRulesOptions) {
    this.options = options;
  }

  /** A customer's message: it opens the WhatsApp window; an SMS STOP/START changes the opt-out state. */
  received(params: TwilioParams, body: string | undefined): void {
    const customer = bare(String(params.From));
    if (params.WaId !== undefined) this.lastInbound.set(customer, this.options.now());
    else {
      const word = (body ?? '').trim().toUpperCase();
      if (OPT_OUT.has(word)) this.optedOut.add(customer);
      if (OPT_IN.has(word)) this.optedOut.delete(customer);
    }
  }

  optOut(customer: string): void {
    this.optedOut.add(bare(customer));
  }

  optIn(customer: string): void {
    this.optedOut.delete(bare(customer));
  }

  isOptedOut(customer: string): boolean {
    return this.optedOut.has(bare(customer));
  }

  /** Checks a send's form, then the opt-out and window rules. */
  accept(body: Buffer): SendDecision {
    const form = readSendForm(body);
    if ('error' in form) return form;
    const { whatsapp, ...fields } = form;
    if (!whatsapp && this.optedOut.has(bare(form.to))) return { error: 21610 };
    let failure: TwilioSentMessage['failure'];
    const last = this.lastInbound.get(bare(form.to));
    const windowOpen = last !== undefined && this.options.now() - last < WINDOW_MS;
    if (whatsapp && this.options.enforceWindow && !form.contentSid && !windowOpen) {
      if (this.options.windowClosedAs === 'request') return { error: 63016 };
      failure = { errorCode: 63016 };
    }
    return {
      accepted: {
        sid: `SM${randomHex(16)}`,
        channel: whatsapp ? 'whatsapp' : 'sms',
        ...fields,
        numSegments: form.body ? new SegmentedMessage(form.body).segmentsCount : 1,
        ...(failure ? { failure } : {}),
        at: new Date(),
      },
    };
  }

  /** Forgets opt-outs and windows. */
  clear(): void {
    this.optedOut.clear();
    this.lastInbound.clear();
  }
}
