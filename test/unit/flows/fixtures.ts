import { flowOf } from './helpers.ts';
import type { FlowAction } from '../../../bot/flows/index.ts';

/** A shop's flow with every kind of node, shared by the engine tests. */
export const shop = flowOf({
  start: 'hello',
  nodes: {
    hello: { type: 'message', text: 'Welcome to the shop!', next: 'menu' },
    menu: {
      type: 'menu',
      text: 'How can we help?',
      options: [
        { id: 'track', label: 'Track my order', keywords: ['track', 'where is it'], next: 'ask_order' },
        { label: 'Opening hours', next: 'hours' },
        { id: 'agent', label: 'Talk to an agent', next: 'to_agent' },
      ],
    },
    ask_order: {
      type: 'question',
      text: 'Your order number?',
      attribute: 'order_number',
      validate: 'number',
      retry: 'Digits only, please.',
      next: 'on_its_way',
    },
    on_its_way: { type: 'end', text: 'Order {{order_number}} is on its way.' },
    hours: { type: 'message', text: 'We are open 9–17.' },
    to_agent: { type: 'handover', text: 'Connecting you…', reason: 'customer asked', skill: 'support' },
  },
});

export function sends(actions: FlowAction[]) {
  return actions.filter((a): a is Extract<FlowAction, { type: 'send' }> => a.type === 'send');
}

/** A one-menu flow with extra top-level settings. */
export function shopDefinitionWith(extra: object) {
  return {
    start: 'm',
    nodes: {
      m: { type: 'menu' as const, text: 'Pick', options: [{ label: 'A', next: 'e' }] },
      e: { type: 'end' as const },
    },
    ...extra,
  };
}
