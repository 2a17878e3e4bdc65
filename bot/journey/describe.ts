import type { JourneyRecord } from './store.ts';

/** A journey entry in words, for agents (`contact`, `journey`). The API returns the entries as data. */

type Detail = Record<string, unknown>;

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

function seconds(v: unknown): string | undefined {
  if (typeof v !== 'number') return undefined;
  const s = Math.round(v);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function messages(d: Detail): string {
  const parts: string[] = [];
  const customer = Number(d.customer ?? 0);
  const agent = Number(d.agent ?? 0);
  if (customer) parts.push(`${customer} from the customer`);
  if (agent) parts.push(`${agent} from agents`);
  return `messages: ${parts.join(', ') || 'none'}`;
}

const WORDS: Record<string, (d: Detail) => string> = {
  messages,
  handover: (d) =>
    `handed over to agents${str(d.reason) ? ` (${str(d.reason)})` : ''}${str(d.skill) ? `, skill ${str(d.skill)}` : ''}`,
  offer: (d) => `offered to ${str(d.agent) ?? 'an agent'}${d.kind === 'transfer' ? ' (transfer)' : ''}`,
  'offer-closed': (d) => `offer to ${str(d.agent) ?? 'an agent'} ${str(d.outcome) ?? 'closed'}`,
  assign: (d) => `assigned to ${str(d.agent) ?? 'an agent'}${str(d.via) ? ` (${str(d.via)})` : ''}`,
  transfer: (d) => `transferred to ${str(d.agent) ?? 'an agent'}${d.via === 'manual' ? ' by an admin' : ''}`,
  unassign: (d) => `unassigned${str(d.reason) ? `: ${str(d.reason)}` : ''}`,
  resolve: (d) => `resolved${seconds(d.seconds) ? ` after ${seconds(d.seconds)}` : ''}`,
  reopen: () => 'reopened by the customer',
  archive: () => 'archived',
  offline: (d) => `told nobody is available${str(d.reason) ? ` (${str(d.reason)})` : ''}`,
  'first-response': (d) =>
    `first answer from an agent${seconds(d.seconds) ? ` after ${seconds(d.seconds)}` : ''}`,
  'campaign-start': () => 'campaign started',
  'campaign-end': (d) => `campaign ended${str(d.reason) ? ` (${str(d.reason)})` : ''}`,
  'option-chosen': (d) => `chose "${str(d.label) ?? str(d.option) ?? '?'}"`,
  'attribute-set': (d) =>
    `${str(d.name)} = ${str(d.value)}${str(d.previous) ? ` (was ${str(d.previous)})` : ''}`,
  'attribute-removed': (d) => `${str(d.name)} removed${str(d.previous) ? ` (was ${str(d.previous)})` : ''}`,
  tag: (d) => `tagged ${str(d.tag)}`,
  untag: (d) => `tag ${str(d.tag)} removed`,
  note: (d) => `note: ${str(d.excerpt) ?? ''}`,
  'offline-form': () => 'left their details in the offline form',
};

export function describeJourney(entry: Pick<JourneyRecord, 'type' | 'detail'>): string {
  const words = WORDS[entry.type];
  if (words) return words(entry.detail ?? {});
  return entry.type;
}

/** Who did it, in a few words: the Matrix ID, or the customer / the bot / the API. */
export function describeActor(actor: string): string {
  switch (actor) {
    case 'customer':
      return 'the customer';
    case 'bot':
      return 'the bot';
    case 'system':
      return 'the bridge';
    case 'api':
      return 'the API';
    default:
      return actor;
  }
}
