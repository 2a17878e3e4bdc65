import { describe, expect, it } from 'vitest';
import {
  planOffers,
  queuePositions,
  shouldNotifyPosition,
  type AgentLoad,
  type QueueEntry,
} from '../../../bot/routing/plan.ts';

const agent = (id: string, overrides: Partial<AgentLoad> = {}): AgentLoad => ({
  id,
  online: true,
  maxChats: 2,
  open: 0,
  pending: 0,
  lastOfferedAt: null,
  lastAssignedAt: null,
  ...overrides,
});

const entry = (id: string, overrides: Partial<QueueEntry> = {}): QueueEntry => ({
  id,
  lastAgentId: null,
  pending: [],
  tried: [],
  reopenTried: true,
  ...overrides,
});

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 9, minutes));

describe('broadcast', () => {
  it('offers each conversation to every online agent with room, without expiry', () => {
    const plan = planOffers(
      'broadcast',
      [entry('c1')],
      [agent('a'), agent('b'), agent('off', { online: false })],
    );
    expect(plan).toEqual([
      { conversationId: 'c1', agentId: 'a', kind: 'queue', timed: false },
      { conversationId: 'c1', agentId: 'b', kind: 'queue', timed: false },
    ]);
  });

  it('counts open chats and pending offers against maxChats: a full agent gets nothing more', () => {
    const plan = planOffers(
      'broadcast',
      [entry('c1'), entry('c2')],
      [agent('a', { maxChats: 1, open: 1 }), agent('b', { maxChats: 1 })],
    );
    // b has room for one: the oldest conversation; c2 waits.
    expect(plan).toEqual([{ conversationId: 'c1', agentId: 'b', kind: 'queue', timed: false }]);
  });

  it('does not ask again an agent already asked, or one who refused during this wait', () => {
    const plan = planOffers(
      'broadcast',
      [entry('c1', { pending: [{ agentId: 'a', timed: false }], tried: ['b'] })],
      [agent('a'), agent('b'), agent('c')],
    );
    expect(plan).toEqual([{ conversationId: 'c1', agentId: 'c', kind: 'queue', timed: false }]);
  });
});

describe('round-robin and least-busy', () => {
  it('offers to one agent at a time, with a timeout, and waits while it is pending', () => {
    const agents = [agent('a'), agent('b')];
    expect(planOffers('round-robin', [entry('c1')], agents)).toEqual([
      { conversationId: 'c1', agentId: 'a', kind: 'queue', timed: true },
    ]);
    expect(
      planOffers('round-robin', [entry('c1', { pending: [{ agentId: 'a', timed: true }] })], agents),
    ).toEqual([]);
  });

  it('round-robin: the agent asked longest ago, and the next one after a timeout', () => {
    const agents = [agent('a', { lastOfferedAt: at(5) }), agent('b', { lastOfferedAt: at(1) })];
    expect(planOffers('round-robin', [entry('c1')], agents)[0]?.agentId).toBe('b');
    expect(planOffers('round-robin', [entry('c1', { tried: ['b'] })], agents)[0]?.agentId).toBe('a');
    // Everyone free was asked: round again.
    expect(planOffers('round-robin', [entry('c1', { tried: ['a', 'b'] })], agents)[0]?.agentId).toBe('b');
  });

  it('round-robin spreads one routing run over the agents', () => {
    const plan = planOffers('round-robin', [entry('c1'), entry('c2'), entry('c3')], [agent('a'), agent('b')]);
    expect(plan.map((p) => `${p.conversationId}:${p.agentId}`)).toEqual(['c1:a', 'c2:b', 'c3:a']);
  });

  it('least-busy: the agent with the fewest open chats', () => {
    const agents = [
      agent('a', { open: 1, maxChats: 5 }),
      agent('b', { open: 3, maxChats: 5 }),
      agent('c', { open: 0, maxChats: 5 }),
    ];
    expect(planOffers('least-busy', [entry('c1')], agents)[0]?.agentId).toBe('c');
    expect(planOffers('least-busy', [entry('c1'), entry('c2')], agents).map((p) => p.agentId)).toEqual([
      'c',
      'c',
    ]);
  });

  it('offers nothing when nobody is online or everyone is full', () => {
    const agents = [agent('a', { online: false }), agent('b', { open: 2 })];
    expect(planOffers('least-busy', [entry('c1')], agents)).toEqual([]);
    expect(planOffers('broadcast', [entry('c1')], agents)).toEqual([]);
  });
});

describe('a reopened conversation', () => {
  it('goes first to the agent who had it, with a timeout, whatever the policy', () => {
    const agents = [agent('a'), agent('b')];
    for (const policy of ['broadcast', 'round-robin', 'least-busy'] as const) {
      expect(planOffers(policy, [entry('c1', { lastAgentId: 'b', reopenTried: false })], agents)).toEqual([
        { conversationId: 'c1', agentId: 'b', kind: 'reopen', timed: true },
      ]);
    }
  });

  it('goes to everyone else when that agent is offline or full, or did not answer', () => {
    const reopened = entry('c1', { lastAgentId: 'b', reopenTried: false });
    expect(planOffers('broadcast', [reopened], [agent('a'), agent('b', { online: false })])).toEqual([
      { conversationId: 'c1', agentId: 'a', kind: 'queue', timed: false },
    ]);
    expect(planOffers('round-robin', [reopened], [agent('a'), agent('b', { open: 2 })])[0]?.agentId).toBe(
      'a',
    );
    const answered = entry('c1', { lastAgentId: 'b', reopenTried: true, tried: ['b'] });
    expect(planOffers('broadcast', [answered], [agent('a'), agent('b')])).toEqual([
      { conversationId: 'c1', agentId: 'a', kind: 'queue', timed: false },
    ]);
  });
});

describe('queue positions', () => {
  it('numbers the queue from 1 in its order', () => {
    expect([...queuePositions(['x', 'y', 'z'])]).toEqual([
      ['x', 1],
      ['y', 2],
      ['z', 3],
    ]);
  });

  it('tells the customer only when the place changed, at most once a minute', () => {
    expect(shouldNotifyPosition(2, { position: 2, at: at(0) }, at(10))).toBe(false);
    expect(shouldNotifyPosition(1, { position: 2, at: at(0) }, new Date(at(0).getTime() + 30_000))).toBe(
      false,
    );
    expect(shouldNotifyPosition(1, { position: 2, at: at(0) }, at(1))).toBe(true);
    expect(shouldNotifyPosition(3, { position: null, at: null }, at(0))).toBe(true);
  });
});
