import { describe, expect, it } from 'vitest';
import {
  canTransition,
  CONVERSATION_STATES,
  LIFECYCLE_EVENTS,
  LifecycleError,
  nextState,
  type ConversationState,
  type LifecycleEvent,
} from '../../../bot/lifecycle/machine.ts';
import { conversationRoomName } from '../../../bot/lifecycle/room-name.ts';
import {
  DEFAULT_MESSAGES,
  effectiveMessages,
  keywordList,
  noMatchReply,
  renderMessage,
} from '../../../bot/spaces/messages.ts';

describe('the lifecycle state machine', () => {
  const allowed: Record<ConversationState, Partial<Record<LifecycleEvent, ConversationState>>> = {
    bot: { handover: 'queued', assign: 'assigned', resolve: 'resolved', archive: 'archived' },
    queued: { assign: 'assigned', resolve: 'resolved' },
    assigned: { unassign: 'queued', transfer: 'assigned', resolve: 'resolved' },
    resolved: { reopen: 'bot', archive: 'archived' },
    archived: {},
  };

  it('allows exactly the documented transitions', () => {
    for (const from of CONVERSATION_STATES) {
      for (const event of LIFECYCLE_EVENTS) {
        const to = allowed[from][event];
        expect(canTransition(from, event), `${from} --${event}-->`).toBe(to !== undefined);
        if (to) expect(nextState(from, event)).toBe(to);
      }
    }
  });

  it('explains a refused transition in words an agent understands', () => {
    expect(() => nextState('resolved', 'resolve')).toThrow(new LifecycleError('resolved', 'resolve').message);
    expect(new LifecycleError('queued', 'unassign').message).toBe(
      'This conversation is waiting in the queue: it cannot be unassigned now.',
    );
    expect(new LifecycleError('archived', 'transfer').message).toBe(
      'This conversation is archived: it cannot be transferred now.',
    );
  });

  it('never archives a conversation someone is waiting on or working on', () => {
    expect(canTransition('queued', 'archive')).toBe(false);
    expect(canTransition('assigned', 'archive')).toBe(false);
  });
});

describe('room names', () => {
  it('show the state at a glance', () => {
    const ana = 'Ana (+1 415 555 0100)';
    expect(conversationRoomName(ana, 'bot')).toBe('🤖 Ana (+1 415 555 0100) — with the bot');
    expect(conversationRoomName(ana, 'queued')).toBe('🟡 Ana (+1 415 555 0100) — queued');
    expect(conversationRoomName(ana, 'assigned', 'Bob')).toBe('🟢 Ana (+1 415 555 0100) — with Bob');
    expect(conversationRoomName(ana, 'resolved')).toBe('✅ Ana (+1 415 555 0100) — resolved');
    expect(conversationRoomName(ana, 'archived')).toBe('⚪ Ana (+1 415 555 0100) — archived');
  });
});

describe('live-assistant messages', () => {
  it('layer space and campaign texts over the defaults', () => {
    const messages = effectiveMessages(
      { welcome: 'Hi from Orders' },
      { welcome: 'Hi from Help Package' },
      {},
    );
    expect(messages.welcome).toBe('Hi from Help Package');
    expect(messages.resolved).toBe(DEFAULT_MESSAGES.resolved);
  });

  it('fill {{placeholders}} and the older {placeholders}, leaving unknown ones', () => {
    expect(renderMessage(DEFAULT_MESSAGES.queued, { position: 3 })).toBe(
      'You are being transferred to an agent. You are number 3 in the queue.',
    );
    expect(renderMessage('You are now chatting with {agent}.', { agent: 'Ana' })).toBe(
      'You are now chatting with Ana.',
    );
    expect(renderMessage('Hi {{ name }}, {{unknown}}', { name: 'Bo' })).toBe('Hi Bo, {{unknown}}');
  });

  it('suggest the keywords when a message matches nothing', () => {
    expect(keywordList(['Help Package', 'Promo', 'Track'])).toBe('"Help Package", "Promo" or "Track"');
    expect(noMatchReply(DEFAULT_MESSAGES.noMatch, ['Help Package'])).toBe(
      'Sorry, I did not understand that. You can write "Help Package".',
    );
    expect(noMatchReply(DEFAULT_MESSAGES.noMatch, [])).toBe('Sorry, I did not understand that.');
  });
});
