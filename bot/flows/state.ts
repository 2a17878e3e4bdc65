import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Flow } from './schema.ts';

/**
 * Where one conversation is in its flow: plain JSON, stored by the caller with the conversation.
 * A run keeps the definition it started with: `flowVersion` names it (the caller's revision id, or
 * the definition's fingerprint), and the caller passes that definition back on every step, so editing
 * a campaign changes new runs only.
 */
export const flowStateSchema = z.strictObject({
  /** Format of this object, for stored states to survive later changes. */
  format: z.literal(1),
  flowVersion: z.string().min(1),
  /** waiting: at a menu or question; ended: the flow finished; handover: it asked for an agent. */
  status: z.enum(['waiting', 'ended', 'handover']),
  /** The node waiting for an answer, or the last node of a finished run. */
  node: z.string(),
  /** Answers in a row not understood at this node. */
  misses: z.number().int().min(0),
  /** Nodes entered, oldest first (the last PATH_LIMIT). */
  path: z.array(z.string()),
  startedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export type FlowState = z.output<typeof flowStateSchema>;

export const PATH_LIMIT = 50;

/** A step that cannot run: the state does not belong to this flow definition, or is corrupt. */
export class FlowRunError extends Error {
  readonly code: 'version-mismatch' | 'bad-state' | 'loop';

  constructor(code: FlowRunError['code'], message: string) {
    super(message);
    this.name = 'FlowRunError';
    this.code = code;
  }
}

const fingerprints = new WeakMap<Flow, string>();

/**
 * A short content hash of a validated definition (key order does not matter): the flow version of
 * runs started without a caller-given version id.
 */
export function flowFingerprint(flow: Flow): string {
  let fingerprint = fingerprints.get(flow);
  if (fingerprint === undefined) {
    const digest = createHash('sha256').update(canonicalJson(flow)).digest('hex');
    fingerprint = `sha256:${digest.slice(0, 16)}`;
    fingerprints.set(flow, fingerprint);
  }
  return fingerprint;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Checks a stored state before it is used with a definition; throws FlowRunError when they do not fit. */
export function checkState(flow: Flow, raw: unknown, flowVersion: string | undefined): FlowState {
  const parsed = flowStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new FlowRunError('bad-state', `not a flow state: ${z.prettifyError(parsed.error)}`);
  }
  const state = parsed.data;
  const version = flowVersion ?? flowFingerprint(flow);
  if (state.flowVersion !== version) {
    throw new FlowRunError(
      'version-mismatch',
      `this run started on flow version "${state.flowVersion}", not "${version}": pass the definition it started with`,
    );
  }
  if (!Object.hasOwn(flow.nodes, state.node)) {
    throw new FlowRunError('bad-state', `the flow has no node "${state.node}"`);
  }
  return state;
}
