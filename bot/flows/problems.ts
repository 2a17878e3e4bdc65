import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';

/** One thing wrong (or worth a warning) in a flow definition, located by its key path. */
export interface FlowProblem {
  /** Dotted key path with zero-based list indexes: `nodes.menu.options[1].next`; empty for the whole text. */
  path: string;
  message: string;
  /** 1-based position in the YAML or JSON text, when the flow was parsed from text. */
  line?: number;
  column?: number;
}

export type Segment = string | number;

/** A problem before its path is joined: the segments also locate it in a parsed document. */
export interface RawProblem {
  segments: Segment[];
  message: string;
  /** Locate the last segment's key rather than its value (an unknown key). */
  atKey?: boolean;
}

export function joinPath(segments: readonly Segment[]): string {
  return segments
    .map((s) => (typeof s === 'number' ? `[${s}]` : s))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** `nodes.ask_email.validate: unknown validator "emial" (line 7, column 15)` */
export function formatProblem(problem: FlowProblem): string {
  const where = problem.line === undefined ? '' : ` (line ${problem.line}, column ${problem.column})`;
  return `${problem.path ? `${problem.path}: ` : ''}${problem.message}${where}`;
}

type Issue = z.core.$ZodIssue;

/** Turns zod issues into messages in the words of someone editing the flow. */
export function issueProblems(issues: readonly Issue[], prefix: readonly Segment[] = []): RawProblem[] {
  const out: RawProblem[] = [];
  for (const issue of issues) {
    const segments = [...prefix, ...(issue.path as Segment[])];
    if (issue.code === 'invalid_union' && issue.message === 'Invalid input' && issue.errors.length > 0) {
      // An object meant for one branch of a union: report that branch's errors, not "Invalid input".
      out.push(...issueProblems(closestBranch(issue.errors), segments));
    } else if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ segments: [...segments, key], message: 'unknown key', atKey: true });
    } else if (issue.code === 'invalid_key') {
      out.push({ segments, message: `bad key: ${issue.issues[0]?.message ?? issue.message}` });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ segments, message: 'required' });
    } else if (issue.code === 'invalid_type') {
      out.push({ segments, message: `must be ${article(issue.expected)}, got ${describe(issue.input)}` });
    } else if (issue.code === 'invalid_value' && issue.values.length === 1) {
      out.push({ segments, message: `must be ${JSON.stringify(issue.values[0])}` });
    } else if (issue.code === 'invalid_value') {
      out.push({ segments, message: `must be one of ${issue.values.map((v) => String(v)).join(', ')}` });
    } else {
      out.push({ segments, message: issue.message });
    }
  }
  return out;
}

/** The union branch the input was evidently meant for: one that accepted its type, with fewest errors. */
function closestBranch(branches: Issue[][]): Issue[] {
  const score = (issues: Issue[]) => issues.filter((i) => i.path.length === 0).length * 1000 + issues.length;
  return [...branches].sort((a, b) => score(a) - score(b))[0] ?? [];
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}

/**
 * Where a key path points in a parsed YAML/JSON document: the value when it exists, else the key,
 * else the closest enclosing mapping or list that does (a missing key is reported where it belongs).
 */
function locate(doc: Document, segments: readonly Segment[], atKey = false): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const [i, segment] of segments.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      const key = atKey && i === segments.length - 1;
      offset = (key ? undefined : rangeStart(pair.value)) ?? rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/** Joins paths and, when the flow came from text, adds line and column. */
export function finishProblems(
  raw: readonly RawProblem[],
  source?: { doc: Document; lines: LineCounter },
): FlowProblem[] {
  return raw.map(({ segments, message, atKey }) => {
    const problem: FlowProblem = { path: joinPath(segments), message };
    const offset = source ? locate(source.doc, segments, atKey) : undefined;
    if (source && offset !== undefined) {
      const { line, col } = source.lines.linePos(offset);
      problem.line = line;
      problem.column = col;
    }
    return problem;
  });
}
